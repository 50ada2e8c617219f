"""The sandbox as its callers see it: what a grading may ask of Docker, and nothing else.

Callers type against these protocols, not ``DockerSandbox``, so a strategy can be
read (and exercised) without knowing how containers are made.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from sandbox.job import SandboxJob, SandboxResult


class Service(Protocol):
    """A long-running container on a run network (an app, a database, a stub)."""

    def running(self) -> bool: ...

    def state(self) -> dict: ...

    def logs(self, max_bytes: int = 64_000) -> str: ...

    def stop(self, timeout: int = 5) -> None: ...

    def restart(self, timeout: int = 5) -> None: ...

    def cpu(self) -> dict: ...

    def kill_signals(self) -> list[str]: ...


class Sandbox(Protocol):
    worker: str  # labels everything this process makes, so its orphans can be found

    def run(self, job: SandboxJob) -> SandboxResult: ...

    def service(self, job: SandboxJob) -> AbstractContextManager[Service]: ...

    def network(self, run_id: str) -> AbstractContextManager[str]: ...

    def volume_exists(self, name: str) -> bool: ...

    def create_volume(self, name: str, *, image: str, owner: int = 0, labels: Mapping[str, str] | None = None) -> str: ...

    def volume_from_dir(
        self, name: str, source: Path, *, image: str, owner: int = 0, labels: Mapping[str, str] | None = None
    ) -> str: ...

    def volume_from_files(
        self, name: str, files: Mapping[str, bytes], *, image: str, owner: int = 0, labels: Mapping[str, str] | None = None
    ) -> str: ...

    def read_from_volume(self, name: str, path: str, *, image: str, max_bytes: int) -> bytes: ...

    def read_tree_from_volume(self, name: str, *, image: str, max_bytes: int) -> dict[str, bytes]: ...

    def remove_volume(self, name: str) -> None: ...

    def remove_run(self, run_id: str) -> None:
        """Remove every container of one run at once, running or not."""

    def remove_leftovers(self, run_id: str) -> None:
        """Remove what a run left when the engine went away under it: containers, networks, volumes."""

    def ping(self) -> None:
        """Return when the engine answers; raise ``EngineError`` when it does not."""
