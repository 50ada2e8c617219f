"""A whole grader stack per database: migrated DB, gunicorn API, Celery worker on Redis."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass

import httpx
import pytest

from tests import servers
from tests.conftest import ROOT, grader_env


@dataclass
class Stack:
    url: str
    env: dict[str, str]
    worker: servers.WorkerProcess
    interviewer: str  # API key
    recruiter: str  # submits on candidates' behalf, as an integration does

    def submit(self, repo_url: str, ref: str = "main", assessment: str = "notes-api") -> dict:
        body = {"assessment": assessment, "candidate_name": "Ada", "candidate_email": "ada@example.com",
                "repo_url": repo_url, "ref": ref}
        response = httpx.post(f"{self.url}/api/v1/submissions", json=body, headers=_auth(self.recruiter), timeout=30)
        assert response.status_code == 202, response.text
        return response.json()

    def wait(self, public_id: str, timeout: float = 600) -> dict:
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            status = httpx.get(f"{self.url}/api/v1/submissions/{public_id}", headers=_auth(self.interviewer), timeout=30).json()
            if not seen or seen[-1] != status["status"]:
                seen.append(status["status"])
            if status["status"] in ("completed", "failed"):
                return self.report(public_id)
            time.sleep(0.5)
        raise AssertionError(f"{public_id} not finished after {timeout} s (saw {seen})\n{self.worker.log()[-4000:]}")

    def report(self, public_id: str) -> dict:
        response = httpx.get(f"{self.url}/api/v1/submissions/{public_id}/report", headers=_auth(self.interviewer), timeout=30)
        assert response.status_code == 200, response.text
        return response.json()


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def grader_cli(env: dict[str, str], *args: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "grader.cli", *args], cwd=ROOT, env=servers.service_env(env),
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


@pytest.fixture
def stack_factory(tmp_path_factory, redis_url, images):
    """Start a full stack on the given DATABASE_URL (SQLite file when None); stop it after the test.

    Each stack gets its own Redis database, so no other stack's worker can take its tasks.
    """
    started = []

    def _start(database_url: str | None = None) -> Stack:
        tmp = tmp_path_factory.mktemp("stack")
        _counter[0] += 1
        extra = {"CELERY_BROKER_URL": redis_url.rsplit("/", 1)[0] + f"/{_counter[0] % 16}"}
        if database_url:
            extra["DATABASE_URL"] = database_url
        env = grader_env(tmp, **extra)
        grader_cli(env, "db", "upgrade")
        interviewer = grader_cli(env, "keys", "create", "--role", "interviewer").strip()
        recruiter = grader_cli(env, "keys", "create", "--role", "recruiter").strip()
        api = servers.api_server(env)
        url = api.__enter__()
        started.append(api)
        worker = servers.celery_worker(env)
        proc = worker.__enter__()
        started.append(worker)
        return Stack(url, env, proc, interviewer, recruiter)

    yield _start
    for ctx in reversed(started):
        ctx.__exit__(None, None, None)


_counter = [0]
