"""Share the host's cores fairly between gradings, and notice when a measurement was disturbed.

The perf-challenge assessment compares latencies of a candidate's app and a
starter app on a small machine, so a timed measurement must not share the cores
with another grading.  Two tools for that:

- ``HostLock``: a host-wide readers/writer lock on ``flock`` files in a
  directory that every worker process (and every worker container on the host,
  through a shared volume or bind mount) sees.  Ordinary gradings hold it
  shared; a timed measurement holds it exclusive, with writer preference.
- ``InterferenceWindow``: host CPU use (``/proc/stat``, which is host-wide even
  inside a container) minus the CPU used by the run's own containers, so a
  measurement taken while something else was busy is marked as such rather
  than silently trusted.

This module never imports ``docker``: it is handed container objects (or the
runner's ``Service``, which answers ``cpu()``) and only reads their counters.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox.errors import SandboxError

log = logging.getLogger(__name__)

SHARED = "shared"
EXCLUSIVE = "exclusive"
DEFAULT_THRESHOLD_CORES = 0.3
CPU_KEYS = ("usage_ns", "throttled_ns", "throttled_periods", "periods")  # what container_cpu answers


class HostBusy(SandboxError):
    """The host lock could not be taken within the timeout."""

    def __init__(self, mode: str, waited_s: float) -> None:
        super().__init__(f"host busy: no {mode} hold on the host lock after waiting {waited_s:.1f} s")
        self.mode = mode
        self.waited_s = waited_s

    def __reduce__(self):  # so it survives pickling (Celery results, multiprocessing)
        return (type(self), (self.mode, self.waited_s))


# ----------------------------------------------------------------------- lock


@dataclass(frozen=True)
class HostLease:
    """A hold on the host lock, as the grader records it ("waited 12.3 s for the host")."""

    mode: str  # SHARED or EXCLUSIVE
    waited_s: float  # wall seconds spent waiting before the hold was granted


class HostLock:
    """A host-wide readers/writer lock with writer preference, built on ``flock``.

    Two files in ``directory``:

    - ``host.lock``: readers take ``LOCK_SH``, the writer ``LOCK_EX``.
    - ``turnstile.lock``: a mutex.  The writer takes it *before* waiting for
      ``host.lock`` and keeps it until it is done; readers pass through it
      (take and drop at once) before asking for ``LOCK_SH``.  So once a writer
      waits, new readers queue behind it while the current ones drain, and a
      steady stream of functional gradings cannot starve a timed one.

    Each acquisition opens its own file descriptions (``flock`` locks belong to
    an open file description), so threads of one process exclude each other as
    separate processes do.  Files are opened read-only (``flock`` needs no write
    access), close-on-exec, so workers with other uids may share the directory.
    Holds do not nest: asking for ``exclusive`` while holding ``shared`` waits
    for oneself until the timeout.  A process forked while holding keeps the
    hold alive in the child until the child closes or exits.
    """

    poll_s = 0.05  # sleep between non-blocking attempts when a timeout is given

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock_path = self.directory / "host.lock"
        self._turnstile_path = self.directory / "turnstile.lock"

    @contextlib.contextmanager
    def shared(self, timeout_s: float | None = None) -> Iterator[HostLease]:
        """Hold the host with other ordinary gradings; wait while a timed measurement holds or awaits it."""
        started = time.monotonic()
        deadline = None if timeout_s is None else started + timeout_s
        with self._open(self._turnstile_path) as turnstile:
            self._flock(turnstile, fcntl.LOCK_EX, deadline, SHARED, started)
            fcntl.flock(turnstile, fcntl.LOCK_UN)
        with self._open(self._lock_path) as fd:
            self._flock(fd, fcntl.LOCK_SH, deadline, SHARED, started)
            yield HostLease(SHARED, time.monotonic() - started)

    @contextlib.contextmanager
    def exclusive(self, timeout_s: float | None = None) -> Iterator[HostLease]:
        """Hold the host alone: bar new holders at once, then wait for the current ones to leave."""
        started = time.monotonic()
        deadline = None if timeout_s is None else started + timeout_s
        with self._open(self._turnstile_path) as turnstile:
            self._flock(turnstile, fcntl.LOCK_EX, deadline, EXCLUSIVE, started)
            with self._open(self._lock_path) as fd:
                self._flock(fd, fcntl.LOCK_EX, deadline, EXCLUSIVE, started)
                yield HostLease(EXCLUSIVE, time.monotonic() - started)

    @contextlib.contextmanager
    def _open(self, path: Path) -> Iterator[int]:
        """Open a fresh file description on ``path``; closing it drops any lock held through it."""
        fd = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            yield fd
        finally:
            os.close(fd)

    def _flock(self, fd: int, op: int, deadline: float | None, mode: str, started: float) -> None:
        """Take ``op`` on ``fd``: blocking without a deadline, else polling until the deadline."""
        if deadline is None:
            fcntl.flock(fd, op)
            return
        while True:
            try:
                fcntl.flock(fd, op | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                now = time.monotonic()
                if now >= deadline:
                    raise HostBusy(mode, now - started) from None
                time.sleep(min(self.poll_s, deadline - now))


# ------------------------------------------------------------- CPU sampling


def container_cpu(container: Any) -> dict[str, int | None]:
    """CPU counters of a Docker container since it started; ``None`` values when unreadable.

    Never raises: a stopped or removed container must not break a grading,
    it only makes the interference figures less certain.  ``one_shot`` asks the
    daemon for one sample instead of waiting a second for a second one.
    """
    unread: dict[str, int | None] = dict.fromkeys(CPU_KEYS)
    try:
        stats = container.stats(stream=False, one_shot=True)
    except Exception as exc:  # NotFound, APIError, connection errors: all mean "unread"
        log.debug("stats of %s unreadable: %s", _name(container), exc)
        return unread
    if not isinstance(stats, Mapping) or str(stats.get("read", "")).startswith("0001-"):
        return unread  # the daemon answers a zero timestamp and zero counters for stopped containers
    cpu = stats.get("cpu_stats") or {}
    throttling = cpu.get("throttling_data") or {}
    return {
        "usage_ns": _int((cpu.get("cpu_usage") or {}).get("total_usage")),
        "throttled_ns": _int(throttling.get("throttled_time")),
        "throttled_periods": _int(throttling.get("throttled_periods")),
        "periods": _int(throttling.get("periods")),
    }


@dataclass(frozen=True)
class HostSample:
    """One reading of host-wide counters."""

    at: float  # time.monotonic() when read
    busy_s: float  # CPU-seconds all cores spent busy since boot (user..steal, without idle and iowait)
    loadavg_1m: float  # one-minute load average (host-wide, also inside a container)
    self_s: float  # CPU-seconds used by this process (it belongs to the run, not to "others")

    @classmethod
    def take(cls) -> HostSample:
        times = os.times()
        return cls(
            at=time.monotonic(),
            busy_s=_host_busy_s(),
            loadavg_1m=os.getloadavg()[0],
            self_s=times.user + times.system,
        )


class InterferenceWindow:
    """Measure how much CPU something other than this run used during a measurement.

    ``window = InterferenceWindow.start(containers)`` before the timed part,
    ``figures = window.stop()`` after it.  ``containers`` are the run's own:
    Docker containers, or anything with a ``cpu()`` method answering like
    ``container_cpu`` (the runner's ``Service``); pass a mapping to name them
    in the figures ("app", "database"), else containers' own names are used.
    Container counters are read outside the host readings (first at start,
    last at stop), so the daemon's work of answering ``stats`` is not counted
    as someone else's.
    """

    def __init__(self, containers: Mapping[str, Any] | Iterable[Any], threshold_cores: float = DEFAULT_THRESHOLD_CORES) -> None:
        if isinstance(containers, Mapping):
            self.containers = {str(name): c for name, c in containers.items()}
        else:
            self.containers = {_name(c): c for c in containers}
        self.threshold_cores = threshold_cores
        self._own_start: dict[str, dict[str, int | None]] = {}
        self._host_start: HostSample | None = None

    @classmethod
    def start(
        cls, containers: Mapping[str, Any] | Iterable[Any] = (), *, threshold_cores: float = DEFAULT_THRESHOLD_CORES
    ) -> InterferenceWindow:
        """Open a window over the run's own ``containers`` (app, database, tester...)."""
        window = cls(containers, threshold_cores)
        window._own_start = window._read_own()
        window._host_start = HostSample.take()
        return window

    def stop(self, *, extra_own_s: float = 0.0) -> dict[str, Any]:
        """Close the window and return its figures as a JSON-able dict.

        ``extra_own_s``: CPU-seconds of the run's own work no container counter
        saw (a job that already exited reports its own usage).
        """
        if self._host_start is None:
            raise SandboxError("InterferenceWindow.stop() before start()")
        host_end = HostSample.take()
        own_end = self._read_own()
        return interference_figures(self._host_start, host_end, self._own_start, own_end, self.threshold_cores,
                                    extra_own_s=extra_own_s)

    def _read_own(self) -> dict[str, dict[str, int | None]]:
        return {name: _cpu_of(c) for name, c in self.containers.items()}


def interference_figures(
    host_start: HostSample,
    host_end: HostSample,
    own_start: Mapping[str, Mapping[str, int | None]],
    own_end: Mapping[str, Mapping[str, int | None]],
    threshold_cores: float = DEFAULT_THRESHOLD_CORES,
    *,
    extra_own_s: float = 0.0,
) -> dict[str, Any]:
    """Figures of one window from its two readings; pure, so it can be tested without a busy host.

    "Own" CPU is the containers' plus this process's (the worker drives the
    run).  A container unreadable at either end (stopped, removed) is listed in
    ``unread``: its CPU then counts as someone else's, which errs on the side
    of marking the measurement as disturbed.
    """
    seconds = max(host_end.at - host_start.at, 1e-9)
    host_cores = max(0.0, host_end.busy_s - host_start.busy_s) / seconds
    own_s = max(0.0, host_end.self_s - host_start.self_s) + max(0.0, extra_own_s)
    throttled_s: dict[str, float] = {}
    throttled_ratio_by_container: dict[str, float | None] = {}
    unread: list[str] = []
    all_throttled_periods = all_periods = 0
    for name, start in own_start.items():
        end = own_end.get(name, {})
        usage = _delta(start, end, "usage_ns")
        if usage is None:
            unread.append(name)
        else:
            own_s += usage / 1e9
        throttled_ns = _delta(start, end, "throttled_ns")
        throttled_s[name] = round((throttled_ns or 0) / 1e9, 3)
        throttled_periods = _delta(start, end, "throttled_periods") or 0
        periods = _delta(start, end, "periods") or 0
        throttled_ratio_by_container[name] = round(throttled_periods / periods, 3) if periods else None
        all_throttled_periods += throttled_periods
        all_periods += periods
    own_cores = own_s / seconds
    other_cores = max(0.0, host_cores - own_cores)
    interfered = other_cores > threshold_cores
    reason = None
    if interfered:
        reason = f"other processes used {other_cores:.2f} cores while measuring (threshold {threshold_cores:g})"
        if unread:
            reason += f"; CPU of {', '.join(unread)} unread and counted as other"
    return {
        "seconds": round(seconds, 3),
        "cores": os.cpu_count(),
        "loadavg_1m_start": round(host_start.loadavg_1m, 2),
        "loadavg_1m_end": round(host_end.loadavg_1m, 2),
        "host_busy_cores": round(host_cores, 3),
        "own_cores": round(own_cores, 3),
        "other_cores": round(other_cores, 3),
        "throttled_s": throttled_s,
        "throttled_s_total": round(sum(throttled_s.values()), 3),
        "throttled_ratio": round(all_throttled_periods / all_periods, 3) if all_periods else None,
        "throttled_ratio_by_container": throttled_ratio_by_container,
        "unread": unread,
        "threshold_cores": threshold_cores,
        "interfered": interfered,
        "reason": reason,
    }


def _host_busy_s(path: str = "/proc/stat") -> float:
    """Busy CPU-seconds of all cores since boot, from the aggregate ``cpu`` line.

    Fields: user nice system idle iowait irq softirq steal guest guest_nice
    (ticks).  guest and guest_nice are already inside user and nice, so only
    the first eight count; steal counts as busy, since a neighbour VM took the core.
    """
    try:
        with open(path, encoding="ascii") as f:
            fields = f.readline().split()
    except OSError as exc:
        raise SandboxError(f"cannot read host CPU counters from {path}: {exc}") from exc
    if not fields or fields[0] != "cpu":
        raise SandboxError(f"unexpected first line in {path}: {' '.join(fields)!r}")
    ticks = [int(v) for v in fields[1:9]]
    idle, iowait = ticks[3], ticks[4]
    return (sum(ticks) - idle - iowait) / os.sysconf("SC_CLK_TCK")


def _cpu_of(obj: Any) -> dict[str, int | None]:
    """``container_cpu`` of a container, or the answer of an object's own ``cpu()``; never raises."""
    cpu = getattr(obj, "cpu", None)
    if not callable(cpu):
        return container_cpu(obj)
    try:
        return dict(cpu())
    except Exception as exc:
        log.debug("cpu() of %r failed: %s", obj, exc)
        return dict.fromkeys(CPU_KEYS)


def _delta(start: Mapping[str, int | None], end: Mapping[str, int | None], key: str) -> int | None:
    """``end - start`` of a counter, or None when either is unread or the counter went back (restart)."""
    a, b = start.get(key), end.get(key)
    if a is None or b is None or b < a:
        return None
    return b - a


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _name(container: Any) -> str:
    """The container's name (its key in the figures), else its short id."""
    name = getattr(container, "name", None)
    if name:
        return str(name)
    cid = getattr(container, "id", None)
    return str(cid)[:12] if cid else repr(container)
