"""A whole grader stack per database: migrated DB, gunicorn API, Celery worker on Redis."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests import servers
from tests.conftest import ROOT, grader_env


@dataclass
class Stack:
    url: str
    env: dict[str, str]
    interviewer: str  # API key
    recruiter: str  # submits on candidates' behalf, as an integration does
    workers: list[servers.WorkerProcess]

    @property
    def worker(self) -> servers.WorkerProcess:
        return self.workers[0]

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
        logs = "".join(w.log()[-3000:] for w in self.workers)
        raise AssertionError(f"{public_id} not finished after {timeout} s (saw {seen})\n{logs}")

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

    def _start(database_url: str | None = None, *, workers: int = 1, **extra_env: str) -> Stack:
        tmp = tmp_path_factory.mktemp("stack")
        _counter[0] += 1
        extra = {"CELERY_BROKER_URL": redis_url.rsplit("/", 1)[0] + f"/{_counter[0] % 16}", **extra_env}
        if database_url:
            extra["DATABASE_URL"] = database_url
        env = grader_env(tmp, **extra)
        grader_cli(env, "db", "upgrade")
        interviewer = grader_cli(env, "keys", "create", "--role", "interviewer").strip()
        recruiter = grader_cli(env, "keys", "create", "--role", "recruiter").strip()
        api = servers.api_server(env)
        url = api.__enter__()
        started.append(api)
        processes = []
        for index in range(workers):
            # Distinct names, as workers on separate hosts have; one host directory, as this is one machine.
            name = f"w{index + 1}-{env['GRADER_WORKER_NAME']}" if workers > 1 else env["GRADER_WORKER_NAME"]
            worker = servers.celery_worker({**env, "GRADER_WORKER_NAME": name}, name=f"{name}@%h")
            processes.append(worker.__enter__())
            started.append(worker)
        return Stack(url, env, interviewer, recruiter, processes)

    yield _start
    for ctx in reversed(started):
        ctx.__exit__(None, None, None)


_counter = [0]


# ------------------------------------------------------------------ browser
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-quic", "--disable-sync"]
ADMIN_EMAIL, STAFF_PASSWORD = "admin@example.com", "demo-password-0001"


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright (the registry's own browser download is not available here)."""
    from playwright.sync_api import sync_playwright

    servers.require_binary(CHROMIUM)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Screenshots of each page, kept under the test run's output folder (test-output/ unless GRADER_TEST_OUTPUT)."""
    folder = Path(os.environ.get("GRADER_TEST_OUTPUT") or ROOT / "test-output") / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def web_stack(stack_factory):
    """A full stack (gunicorn, Celery on Redis, Docker) with a first admin made by `grader users create`."""
    stack = stack_factory()
    grader_cli({**stack.env, "GRADER_USER_PASSWORD": STAFF_PASSWORD}, "users", "create", "--role", "admin", ADMIN_EMAIL)
    return stack


@pytest.fixture
def open_page(chromium, web_stack):
    """open_page() -> a fresh browser context (its own cookies: one person) on the stack."""
    contexts = []

    def _open():
        context = chromium.new_context(base_url=web_stack.url, accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        return page

    yield _open
    for context in contexts:
        context.close()


def sign_in(page, email: str, password: str = STAFF_PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard/**")
