"""Fixtures for outages of ours: a Docker engine that can be cut, a package index in trouble, small back-offs.

The real engine is shared, so it is never restarted: the grader is pointed at a
proxy socket instead (``docker_proxy``).  Whatever a test's gradings leave on the
engine is found by the test's own worker label, asserted on, then removed.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from pathlib import Path

import docker
import pytest

from sandbox.scope import LABEL_MANAGED, LABEL_WORKER
from tests.faults.docker_proxy import ENGINE, DockerProxy

RETRIES = 2
BASE_S = 0.2


@pytest.fixture
def fault_app(app):
    """The app with outages retried twice after 0.2 s and 0.4 s (production: 3 times from 30 s)."""
    app.config.update(GRADER_INFRA_RETRIES=RETRIES, GRADER_INFRA_RETRY_BASE_S=BASE_S)
    from grader.services import preflight

    preflight.forget()
    yield app
    preflight.forget()


@pytest.fixture
def engine():
    """A client of the real engine, never through the proxy: what is really there."""
    client = docker.DockerClient(base_url=f"unix://{ENGINE}")
    yield client
    client.close()


@pytest.fixture
def docker_proxy():
    """A proxy socket in front of the real engine (short path: unix sockets allow ~100 bytes)."""
    folder = Path(tempfile.mkdtemp(prefix="dproxy-", dir="/tmp"))
    proxy = DockerProxy(folder / f"{uuid.uuid4().hex[:8]}.sock")
    proxy.start()
    yield proxy
    proxy.cut()
    shutil.rmtree(folder, ignore_errors=True)


def left_behind(engine: docker.DockerClient, worker: str) -> dict[str, list[str]]:
    """Containers, networks and run volumes the grader of ``worker`` made and did not remove."""
    label = {"label": [f"{LABEL_MANAGED}=1", f"{LABEL_WORKER}={worker}"]}
    return {
        "containers": [c.name for c in engine.containers.list(all=True, filters=label)],
        "networks": [n.name for n in engine.networks.list(filters=label)],
        "volumes": [v.name for v in engine.volumes.list(filters=label) if "grader.cache" not in (v.attrs.get("Labels") or {})],
    }


@pytest.fixture
def worker_leftovers(fault_app, engine):
    """``left_behind`` for this test's worker; afterwards removes them all, so a failing test leaves nothing."""
    worker = fault_app.config["GRADER_WORKER_NAME"]
    yield lambda: left_behind(engine, worker)
    label = {"label": [f"{LABEL_MANAGED}=1", f"{LABEL_WORKER}={worker}"]}
    for container in engine.containers.list(all=True, filters=label):
        container.remove(force=True)
    for network in engine.networks.list(filters=label):
        network.remove()
    for volume in engine.volumes.list(filters=label):
        if "grader.cache" not in (volume.attrs.get("Labels") or {}):
            volume.remove(force=True)
