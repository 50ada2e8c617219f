"""One grading run's share of Docker: every volume, network and service it makes.

Why one owner: names and labels built at each call site drift apart, and a
volume forgotten on one error path stays on the host for good.  A scope names
everything ``grader-<kind>-<run>-<tag>``, labels it with the run and the worker
(so a restarted worker's ``remove_orphans`` finds what a killed one left), and
removes it all when the run ends, however it ends.  Thread-safe: stages of one
run may start services and make volumes side by side.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Mapping
from pathlib import Path

from sandbox.errors import SandboxError
from sandbox.job import SandboxJob, SandboxResult
from sandbox.layout import SANDBOX_UID
from sandbox.protocol import Sandbox, Service

LABEL_MANAGED = "grader.managed"
LABEL_WORKER = "grader.worker"
LABEL_RUN = "grader.run"
LABEL_STAGE = "grader.stage"


class RunScope:
    def __init__(self, sandbox: Sandbox, run_id: str) -> None:
        self.sandbox = sandbox
        self.run_id = run_id
        self._volumes: list[str] = []
        self._stack = contextlib.ExitStack()
        self._lock = threading.Lock()
        self._closed = False

    # ------------------------------------------------------------- naming
    @property
    def labels(self) -> dict[str, str]:
        """Labels of the run's volumes (containers get the worker label from the runner)."""
        return {LABEL_RUN: self.run_id, LABEL_WORKER: self.sandbox.worker}

    def job_labels(self, stage: str) -> tuple[tuple[str, str], ...]:
        return ((LABEL_RUN, self.run_id), (LABEL_STAGE, stage))

    def name(self, kind: str) -> str:
        return f"grader-{kind}-{self.run_id}-{uuid.uuid4().hex[:6]}"

    # ------------------------------------------------------------ volumes
    def volume(
        self,
        kind: str,
        *,
        image: str,
        source: Path | None = None,
        files: Mapping[str, bytes] | None = None,
        writable: bool = False,
    ) -> str:
        """A run volume: a read-only copy of ``source`` or ``files``, or an empty one the sandbox uid may write."""
        name = self.name(kind)
        with self._lock:
            self._check_open()
            self._volumes.append(name)  # recorded first: removed even when filling it fails
        owner = SANDBOX_UID if writable else 0
        if source is not None:
            self.sandbox.volume_from_dir(name, source, image=image, owner=owner, labels=self.labels)
        elif files is not None:
            self.sandbox.volume_from_files(name, files, image=image, owner=owner, labels=self.labels)
        else:
            self.sandbox.create_volume(name, image=image, owner=owner, labels=self.labels)
        return name

    def read_tree(self, volume: str, *, image: str, max_bytes: int) -> dict[str, bytes]:
        return self.sandbox.read_tree_from_volume(volume, image=image, max_bytes=max_bytes)

    # ---------------------------------------------------- networks, containers
    def network(self) -> str:
        """An internal network for this run, removed when the scope closes."""
        return self._enter(self.sandbox.network(self.run_id))

    def service(self, job: SandboxJob) -> Service:
        """Start a long-running container, removed when the scope closes (or by ``stop`` earlier)."""
        return self._enter(self.sandbox.service(job))

    def run(self, job: SandboxJob) -> SandboxResult:
        return self.sandbox.run(job)

    def _enter(self, manager):
        with self._lock:
            self._check_open()
            return self._stack.enter_context(manager)

    def _check_open(self) -> None:
        if self._closed:
            raise SandboxError(f"run {self.run_id} was stopped")

    # ----------------------------------------------------------- lifetime
    def abort(self) -> None:
        """Stop the run now: also the jobs still running in other threads, whose waits then end."""
        with self._lock:
            self._closed = True
        self.sandbox.remove_run(self.run_id)
        self.close()

    def close(self) -> None:
        """Remove containers and networks (newest first), then the run's volumes."""
        with self._lock:
            self._closed = True
        try:
            self._stack.close()
        finally:
            with self._lock:
                volumes, self._volumes = self._volumes, []
            for volume in reversed(volumes):
                self.sandbox.remove_volume(volume)

    def __enter__(self) -> RunScope:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
