"""The grading environment of one process: sandbox, images and installer, built once.

Why once: building or even inspecting images on every grading would put seconds
of Docker round-trips on the hot path; a worker process makes this on its first
grading and keeps it.  An engine that cannot be reached while making it is an
outage of ours (``InfrastructureFailure``, retried); nothing is kept then.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.errors import InfrastructureFailure, SandboxFailure
from grader.services.baselines import HostBaselines
from grader.services.install import Installer
from grader.services.timing import HostGate
from grader.specs import AssessmentSpec
from sandbox.errors import SandboxError
from sandbox.images import LOCAL_BASE, ImageSet, build_image, ensure_images
from sandbox.protocol import Sandbox
from sandbox.runner import DockerSandbox, engine_fault

_lock = threading.Lock()
_cached: dict[tuple, GradingEnvironment] = {}


@dataclass(frozen=True)
class GradingEnvironment:
    sandbox: Sandbox
    images: ImageSet
    host: HostGate
    baselines: HostBaselines | None
    pip_cert: str | None
    index_url: str
    max_download_mb: int
    base_image: str = ""

    def assessment_images(self, spec: AssessmentSpec) -> dict[str, str]:
        """The assessment's own images (name -> tag); built when their content hash is new."""
        tags = {}
        for name, folder in spec.images.items():
            try:
                tags[name] = build_image(
                    f"{spec.slug}-{name}", base_image=self.base_image or LOCAL_BASE, folder=spec.folder / folder,
                    extra_ca_bundle=self.pip_cert, index_url=self.index_url,
                )
            except Exception as exc:
                if engine_fault(exc):
                    raise InfrastructureFailure(f"the Docker engine failed building the {name!r} image: {exc}") from exc
                if isinstance(exc, SandboxError):
                    raise SandboxFailure(f"could not build the assessment's {name!r} image: {exc}") from exc
                raise
        return tags

    def ping(self) -> None:
        """``EngineError`` unless the Docker engine answers now (the pre-flight check)."""
        self.sandbox.ping()

    def clear_run(self, run_id: str) -> None:
        """Remove what a run of ``run_id`` left on the engine (an outage kept it from removing its own)."""
        self.sandbox.remove_leftovers(run_id)

    def installer(self, spec: AssessmentSpec) -> Installer:
        return Installer(
            self.sandbox,
            self.images.runner,
            limits=spec.install.limits.to_limits(),
            max_download_mb=spec.install.max_download_mb or self.max_download_mb,
            pip_cert=self.pip_cert,
            index_url=self.index_url,
        )


def environment(config: Any) -> GradingEnvironment:
    """Return this process's environment for ``config``, building images if needed."""
    key = (
        config["GRADER_BASE_IMAGE"],
        config["GRADER_PIP_CERT"],
        config["GRADER_PIP_INDEX_URL"],
        config["GRADER_SANDBOX_RUNTIME"],
        config["GRADER_WORKER_NAME"],
        config["GRADER_HOST_DIR"],
        config["GRADER_BASELINE_CACHE"],
        os.environ.get("DOCKER_HOST", ""),  # the engine the client talks to (tests put a proxy in front)
    )
    with _lock:
        if key not in _cached:
            try:
                sandbox = DockerSandbox(runtime=config["GRADER_SANDBOX_RUNTIME"], worker=config["GRADER_WORKER_NAME"])
                images = ensure_images(
                    base_image=config["GRADER_BASE_IMAGE"],
                    extra_ca_bundle=config["GRADER_PIP_CERT"],
                    index_url=config["GRADER_PIP_INDEX_URL"],
                )
            except Exception as exc:
                if engine_fault(exc):
                    where = os.environ.get("DOCKER_HOST") or "the default socket"
                    raise InfrastructureFailure(f"the Docker engine could not be reached at {where}: {exc}") from exc
                if isinstance(exc, SandboxError):
                    raise SandboxFailure(f"the sandbox is not available: {exc}") from exc
                raise
            _cached[key] = GradingEnvironment(
                sandbox=sandbox,
                images=images,
                host=HostGate(str(Path(config["GRADER_HOST_DIR"]) / "lock"), config["GRADER_HOST_WAIT_S"]),
                baselines=HostBaselines(Path(config["GRADER_HOST_DIR"]) / "baselines") if config["GRADER_BASELINE_CACHE"] else None,
                pip_cert=config["GRADER_PIP_CERT"],
                index_url=config["GRADER_PIP_INDEX_URL"],
                max_download_mb=config["GRADER_MAX_DOWNLOAD_MB"],
                base_image=config["GRADER_BASE_IMAGE"] or "",
            )
        return _cached[key]
