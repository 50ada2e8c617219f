"""Fair timing: a grading that measures speed never shares the host's cores with another grading.

Every grading holds the host *shared* while its containers run; a timed
measurement (perf-harness) trades that for an *exclusive* hold, which waits
for the shared holders to finish and keeps new ones out (the lock prefers
writers, so a stream of functional gradings cannot starve a timed one).  The
lock lives in ``GRADER_HOST_DIR``: every worker process on one host must see
the same one (compose mounts it into each worker container).
The Celery queues (see ``grader.services.submissions``) make timed gradings
run one at a time per host; this lock keeps functional ones off their cores.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

from grader.errors import SandboxFailure
from sandbox.host import HostBusy, HostLock


class HostGate:
    """This process's door to the host lock."""

    def __init__(self, directory: str, timeout_s: float) -> None:
        self.lock = HostLock(directory)
        self.timeout_s = timeout_s

    @contextlib.contextmanager
    def share(self) -> Iterator[HostShare]:
        with HostShare(self.lock, self.timeout_s) as share:
            yield share


class HostShare:
    """One grading's hold on the host: shared while it works, exclusive while it times."""

    def __init__(self, lock: HostLock, timeout_s: float) -> None:
        self.lock = lock
        self.timeout_s = timeout_s
        self._held = contextlib.ExitStack()
        self._seconds = {"shared_wait": 0.0, "exclusive_wait": 0.0, "exclusive": 0.0}
        self._alone: list[tuple[float, float]] = []  # wall-clock spans held alone, for audits of fairness

    def __enter__(self) -> HostShare:
        self._take(self.lock.shared, "shared_wait")
        return self

    def __exit__(self, *exc_info) -> None:
        self._held.close()

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[dict]:
        """Hold the host alone; yields ``{"waited_s": ...}``.  The shared hold is given up
        meanwhile (a lock cannot be upgraded in place) and taken back afterwards."""
        self._held.close()
        try:
            with self._guard(), self.lock.exclusive(self.timeout_s) as lease:
                self._seconds["exclusive_wait"] += lease.waited_s
                began, since = time.monotonic(), time.time()
                try:
                    yield {"waited_s": lease.waited_s}
                finally:
                    self._seconds["exclusive"] += time.monotonic() - began
                    self._alone.append((since, time.time()))
        finally:
            self._take(self.lock.shared, "shared_wait")

    def figures(self) -> dict[str, float]:
        """Seconds waited for the host and held alone, and (epoch seconds) when, for the run's stage record."""
        figures = {k: round(v, 3) for k, v in self._seconds.items()}
        if self._alone:
            figures.update(exclusive_from_epoch=round(self._alone[0][0], 3), exclusive_to_epoch=round(self._alone[-1][1], 3))
        return figures

    def _take(self, hold, waited: str) -> None:
        with self._guard():
            lease = self._held.enter_context(hold(self.timeout_s))
        self._seconds[waited] += lease.waited_s

    @contextlib.contextmanager
    def _guard(self):
        """Waiting too long for the host is our failure, never the candidate's: it is retried."""
        try:
            yield
        except HostBusy as exc:
            raise SandboxFailure(f"the host stayed busy: {exc}") from exc
