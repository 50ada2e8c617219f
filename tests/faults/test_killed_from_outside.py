"""An app container stopped from outside is ours; one that exits by itself is the candidate's (real containers)."""

from __future__ import annotations

import time
import uuid

import pytest

from grader.errors import InfrastructureFailure
from grader.strategies.toolkit import killed_from_outside, startup_failure
from sandbox import Limits, RunScope, SandboxJob

pytestmark = pytest.mark.slow


def _exited(service, timeout_s: float = 30) -> dict:
    deadline = time.monotonic() + timeout_s
    while service.running() and time.monotonic() < deadline:
        time.sleep(0.2)
    return service.state()


@pytest.fixture
def start(docker_sandbox, images):
    with RunScope(docker_sandbox, f"kill-{uuid.uuid4().hex[:8]}") as scope:
        yield lambda *command: scope.service(SandboxJob(image=images.runner, command=command, limits=Limits(timeout_s=60)))


def test_an_app_killed_by_someone_else_is_not_judged_as_exiting(start, engine):
    app = start("sleep", "300")  # PID 1 of its container, as the candidate's app is (exec)
    engine.containers.get(app.container.id).kill()  # an operator, or an engine shutting down
    state = _exited(app)
    assert state["ExitCode"] == 137 and not state["OOMKilled"]
    assert "killed from outside the sandbox" in killed_from_outside(state, app.kill_signals)
    with pytest.raises(InfrastructureFailure, match="the app's container was killed from outside"):
        startup_failure(app, "/health", 5)


def test_an_app_cannot_sigkill_itself_as_pid_1_so_its_own_exit_stays_its_own(start):
    app = start("sh", "-c", "kill -9 $$; echo still here; exit 3")  # the kernel ignores PID 1's SIGKILL to itself
    state = _exited(app)
    assert state["ExitCode"] == 3 and killed_from_outside(state, app.kill_signals) is None
    assert startup_failure(app, "/health", 5) == "the app exited during startup with code 3"
    assert "still here" in app.logs()


def test_an_app_exiting_with_137_by_itself_stays_its_own(start):
    """137 is only a number: without the engine's record of a kill, the exit is the candidate's."""
    app = start("sh", "-c", "exit 137")
    state = _exited(app)
    assert state["ExitCode"] == 137 and not state["OOMKilled"]
    assert app.kill_signals() == [] and killed_from_outside(state, app.kill_signals) is None
    assert startup_failure(app, "/health", 5) == "the app exited during startup with code 137"
