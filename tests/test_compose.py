"""docker-compose.yml: valid, and (where docker-compose runs) a real stack that grades a submission."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, TEST_ASSESSMENTS
from tests.factories import submission_dir
from tests.servers import free_port

COMPOSE = shutil.which("docker-compose")


def _compose(*args: str, env: dict[str, str], files: list[Path], timeout: float = 900) -> subprocess.CompletedProcess:
    argv = [COMPOSE]
    for f in files:
        argv += ["-f", str(f)]
    return subprocess.run([*argv, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def test_compose_file_is_valid():
    assert COMPOSE, "docker-compose is not installed; run `make setup`"
    result = _compose("config", "-q", env={**os.environ}, files=[ROOT / "docker-compose.yml"])
    assert result.returncode == 0, result.stderr


def test_compose_declares_the_trust_boundary_and_services():
    import yaml

    spec = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert set(spec["services"]) == {"api", "worker", "worker-timed", "redis", "postgres"}
    for worker in ("worker", "worker-timed"):
        assert "/var/run/docker.sock:/var/run/docker.sock" in spec["services"][worker]["volumes"]
        assert "host-state:/var/lib/grader/host" in spec["services"][worker]["volumes"]
    assert "/var/run/docker.sock:/var/run/docker.sock" not in spec["services"]["api"].get("volumes", [])


def test_compose_runs_one_worker_per_queue():
    import yaml

    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert services["worker"]["command"] == ["worker"] and services["worker-timed"]["command"] == ["worker-timed"]
    entrypoint = (ROOT / "deploy" / "grader" / "entrypoint.sh").read_text()
    assert '-Q "${GRADER_QUEUE_TIMED:-grading-timed}"' in entrypoint and "--concurrency 1" in entrypoint


@pytest.mark.slow
@pytest.mark.compose
def test_compose_stack_grades_a_submission(tmp_path, images):
    assert COMPOSE, "docker-compose is not installed; run `make setup`"
    project = f"gradertest{uuid.uuid4().hex[:6]}"
    context = tmp_path / "gitserver"
    shutil.copytree(submission_dir("notes-api", "buggy"), context / "repo")
    shutil.copy(ROOT / "tests" / "compose" / "gitserver.Dockerfile", context / "Dockerfile")
    cert = os.environ.get("GRADER_PIP_CERT", "")
    ca_dir = ROOT / "deploy" / "ca"
    if cert:
        shutil.copy(cert, ca_dir / "extra-ca.crt")
    override = tmp_path / "docker-compose.test.yml"
    override.write_text(
        f"""version: "2.4"
services:
  git:
    build: {{context: {context}, args: {{BASE_IMAGE: "${{GRADER_BASE_IMAGE:-python:3.11-slim}}"}}}}
  worker:
    environment:
      GRADER_ASSESSMENTS_PATH: /srv/assessments:/srv/test-assessments
      GRADER_CLONE_ALLOWED_HOSTS: git
    volumes: ["{TEST_ASSESSMENTS}:/srv/test-assessments:ro"]
  api:
    environment:
      GRADER_ASSESSMENTS_PATH: /srv/assessments:/srv/test-assessments
      GRADER_CLONE_ALLOWED_HOSTS: git
    volumes: ["{TEST_ASSESSMENTS}:/srv/test-assessments:ro"]
"""
    )
    port = free_port()
    env = {**os.environ, "GRADER_PORT": str(port), "COMPOSE_PROJECT_NAME": project,
           "GRADER_BASE_IMAGE": os.environ.get("GRADER_BASE_IMAGE", "grader-base:bookworm")}
    files = [ROOT / "docker-compose.yml", override]
    try:
        up = _compose("up", "-d", "--build", env=env, files=files, timeout=1500)
        assert up.returncode == 0, up.stderr[-4000:]
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url)
        # The production image serves the pages: npm packages copied in, session cookie Secure and HttpOnly.
        page = httpx.get(f"{url}/login", timeout=10)
        assert page.status_code == 200 and "Sign in" in page.text
        cookie = page.headers["set-cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie, cookie
        assert httpx.get(f"{url}/static/vendor/pico.min.css", timeout=10).status_code == 200
        key = _compose("exec", "-T", "api", "grader", "keys", "create", "--role", "interviewer", env=env, files=files)
        assert key.returncode == 0, key.stderr
        headers = {"Authorization": f"Bearer {key.stdout.strip()}"}
        body = {"assessment": "notes-api", "candidate_name": "Ada", "candidate_email": "ada@example.com",
                "repo_url": "git://git/notes.git", "ref": "main"}
        created = httpx.post(f"{url}/api/v1/submissions", json=body, headers=headers, timeout=30)
        assert created.status_code == 202, created.text
        report = _wait_report(url, created.json()["id"], headers, env, files)
        assert report["status"] == "completed", report
        failed = {c["id"] for c in report["checks"] if c["outcome"] != "passed"}
        assert failed == {"list-notes", "missing-404"}
    finally:
        logs = _compose("logs", "--no-color", "--tail", "50", "worker", env=env, files=files)
        print(logs.stdout[-4000:])
        _compose("down", "-v", "--remove-orphans", env=env, files=files, timeout=300)
        (ca_dir / "extra-ca.crt").unlink(missing_ok=True)


def _wait_healthy(url: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise AssertionError("compose API never became healthy")


def _wait_report(url, public_id, headers, env, files, timeout: float = 600) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = httpx.get(f"{url}/api/v1/submissions/{public_id}", headers=headers, timeout=10).json()["status"]
        if status in ("completed", "failed"):
            return httpx.get(f"{url}/api/v1/submissions/{public_id}/report", headers=headers, timeout=10).json()
        time.sleep(1)
    logs = _compose("logs", "--no-color", "--tail", "80", "worker", env=env, files=files)
    raise AssertionError(f"not graded in {timeout} s\n{logs.stdout[-4000:]}")
