"""A RunScope owns one run's volumes, networks and containers, and removes them however the run ends."""

from __future__ import annotations

import threading
import time
import uuid

import docker
import pytest

from sandbox import Limits, RunScope, SandboxError, SandboxJob
from sandbox.scope import LABEL_RUN, LABEL_WORKER


@pytest.fixture
def scope(docker_sandbox):
    with RunScope(docker_sandbox, f"t{uuid.uuid4().hex[:8]}") as run_scope:
        yield run_scope


def _owned(run_id: str) -> dict[str, list[str]]:
    client = docker.from_env()
    label = {"label": f"{LABEL_RUN}={run_id}"}
    return {
        "containers": [c["Id"] for c in client.api.containers(all=True, filters=label)],
        "networks": [n.name for n in client.networks.list(filters=label)],
        "volumes": [v.name for v in client.volumes.list(filters=label)],
    }


def _sleeper(scope: RunScope, images, network: str | None = None, alias: str | None = None) -> SandboxJob:
    return SandboxJob(image=images.runner, command=("sleep", "60"), limits=Limits(timeout_s=90), network=network,
                      network_alias=alias, labels=scope.job_labels("test"))


def test_everything_made_is_named_and_labelled_for_the_run(scope, images):
    volume = scope.volume("data", image=images.runner, writable=True)
    assert volume.startswith(f"grader-data-{scope.run_id}-")
    labels = docker.from_env().volumes.get(volume).attrs["Labels"]
    assert labels[LABEL_RUN] == scope.run_id and labels[LABEL_WORKER] == scope.sandbox.worker


def test_closing_removes_volumes_networks_and_services(docker_sandbox, images):
    scope = RunScope(docker_sandbox, f"t{uuid.uuid4().hex[:8]}")
    scope.volume("data", image=images.runner, files={"a.txt": b"x"})
    network = scope.network()
    scope.service(_sleeper(scope, images, network, "app"))
    assert all(_owned(scope.run_id).values())
    scope.close()
    assert _owned(scope.run_id) == {"containers": [], "networks": [], "volumes": []}


def test_a_failing_run_still_leaves_nothing(docker_sandbox, images):
    run_id = f"t{uuid.uuid4().hex[:8]}"
    with pytest.raises(RuntimeError), RunScope(docker_sandbox, run_id) as scope:
        scope.volume("data", image=images.runner, writable=True)
        scope.service(_sleeper(scope, images, scope.network(), "app"))
        raise RuntimeError("the strategy broke")
    assert _owned(run_id) == {"containers": [], "networks": [], "volumes": []}


def test_abort_ends_a_job_running_in_another_thread(docker_sandbox, images):
    scope = RunScope(docker_sandbox, f"t{uuid.uuid4().hex[:8]}")
    finished = threading.Event()

    def job() -> None:
        try:
            scope.run(_sleeper(scope, images))
        except Exception:  # noqa: BLE001 - the container vanished under it: that is the point
            pass
        finished.set()

    threading.Thread(target=job, daemon=True).start()
    deadline = time.monotonic() + 30
    while not _owned(scope.run_id)["containers"] and time.monotonic() < deadline:
        time.sleep(0.2)
    scope.abort()
    assert finished.wait(30), "the job still ran after the scope was aborted"
    with pytest.raises(SandboxError, match="was stopped"):
        scope.volume("late", image=images.runner)


def test_a_restarted_worker_removes_what_its_killed_life_left(images):
    from sandbox.runner import DockerSandbox

    worker = f"test-{uuid.uuid4().hex[:8]}"
    scope = RunScope(DockerSandbox(worker=worker), f"t{uuid.uuid4().hex[:8]}")  # never closed: the worker was killed
    scope.volume("data", image=images.runner, writable=True)
    scope.service(_sleeper(scope, images, scope.network(), "app"))
    assert DockerSandbox(worker=worker).remove_orphans() == 1
    assert _owned(scope.run_id) == {"containers": [], "networks": [], "volumes": []}


def test_run_networks_give_up_on_outside_names_quickly(scope, images):
    job = SandboxJob(image=images.runner, command=("cat", "/etc/resolv.conf"), limits=Limits(timeout_s=30),
                     network=scope.network(), labels=scope.job_labels("test"))
    assert "options timeout:1 attempts:1" in scope.run(job).stdout
