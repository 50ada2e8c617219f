"""Fixtures: the Flask app on a fresh database, and real services (Docker, git, Redis, PostgreSQL).

Docker-backed fixtures fail loudly when no engine runs: `make test` starts one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest

from tests import servers

FIXTURES = Path(__file__).parent / "fixtures"
TEST_ASSESSMENTS = FIXTURES / "assessments"
ROOT = Path(__file__).resolve().parent.parent


SESSION_HOST_DIR = "GRADER_TEST_HOST_DIR"  # set once per test session, inherited by xdist workers
_OWN_HOST_DIR = pytest.StashKey[str]()


def pytest_configure(config) -> None:
    """One host directory for the whole session, as compose mounts one into every worker.

    The host lock and the starter baselines live there: a perf grading in one xdist worker
    then times alone, as deployed, instead of beside another worker's gradings.
    """
    if not hasattr(config, "workerinput") and SESSION_HOST_DIR not in os.environ:
        os.environ[SESSION_HOST_DIR] = tempfile.mkdtemp(prefix="grader-test-host-")
        config.stash[_OWN_HOST_DIR] = os.environ[SESSION_HOST_DIR]


def pytest_unconfigure(config) -> None:
    own = config.stash.get(_OWN_HOST_DIR, None)
    if own:
        shutil.rmtree(own, ignore_errors=True)


def grader_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """Environment for a grader process (API, worker or CLI) in a test."""
    env = {
        "GRADER_ENV": "testing",
        "GRADER_INSTANCE_DIR": str(tmp_path / "instance"),
        "GRADER_HOST_DIR": os.environ.get(SESSION_HOST_DIR) or str(tmp_path / "host"),
        "GRADER_ASSESSMENTS_PATH": os.pathsep.join([str(ROOT / "assessments"), str(TEST_ASSESSMENTS)]),
        "GRADER_CLONE_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "GRADER_WORKER_NAME": f"test-{uuid.uuid4().hex[:8]}",
    }
    cert = os.environ.get("GRADER_PIP_CERT")
    if cert:
        env["GRADER_PIP_CERT"] = cert
    for name in ("GRADER_BASE_IMAGE", "GRADER_PIP_INDEX_URL"):
        if os.environ.get(name):
            env[name] = os.environ[name]
    env.update(extra)
    return env


@pytest.fixture
def app(tmp_path, monkeypatch):
    """A Flask app on a fresh, migrated SQLite database."""
    for key, value in grader_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    from flask_migrate import upgrade

    from grader import create_app

    app = create_app()
    with app.app_context():
        upgrade()
    yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture(scope="session")
def docker_sandbox():
    from sandbox.runner import DockerSandbox

    return DockerSandbox(worker=f"test-{uuid.uuid4().hex[:8]}")


@pytest.fixture(scope="session")
def images(docker_sandbox):
    """Sandbox images, built once per content (make test builds them before pytest starts)."""
    from sandbox.images import ensure_images

    return ensure_images(
        base_image=os.environ.get("GRADER_BASE_IMAGE") or None,
        extra_ca_bundle=os.environ.get("GRADER_PIP_CERT") or None,
        index_url=os.environ.get("GRADER_PIP_INDEX_URL", ""),
    )


@pytest.fixture(scope="session")
def git_server():
    with servers.git_daemon() as server:
        yield server


@pytest.fixture(scope="session")
def redis_url():
    with servers.redis_server() as url:
        yield url


@pytest.fixture(scope="session")
def postgres():
    with servers.postgres_server() as server:
        yield server
