import uuid

import pytest

from sandbox import Limits, Mount, SandboxJob
from sandbox.layout import SANDBOX_UID


@pytest.fixture
def run(docker_sandbox, images):
    """Run a shell script in the runner image with the given limits."""

    def _run(script: str, **kwargs):
        limits = kwargs.pop("limits", Limits(timeout_s=30))
        return docker_sandbox.run(SandboxJob(image=images.runner, command=("sh", "-c", script), limits=limits, **kwargs))

    return _run


@pytest.fixture
def out_volume(docker_sandbox, images):
    name = f"grader-test-out-{uuid.uuid4().hex[:8]}"
    docker_sandbox.create_volume(name, image=images.runner, owner=SANDBOX_UID)
    yield Mount(name, "/out", read_only=False)
    docker_sandbox.remove_volume(name)
