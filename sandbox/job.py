"""Messages between the grader and the sandbox: what to run, and what came of it.

Frozen dataclasses so a job can be logged, hashed and replayed, and so nothing
in the runner can change what the caller asked for.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from sandbox.layout import SANDBOX_USER


class Verdict(str, enum.Enum):
    """How a sandboxed process ended, as a person would say it."""

    OK = "ok"  # exit code 0
    FAILED = "failed"  # exited non-zero on its own
    TIMEOUT = "timeout"  # killed by the wall-clock limit
    OOM = "oom"  # killed by the memory limit


@dataclass(frozen=True)
class Limits:
    """Resource caps applied to every container; defaults are safe, not generous."""

    memory_mb: int = 512  # RAM; swap is set equal so no swap is usable
    cpus: float = 1.0  # CPU quota in cores
    pids: int = 256  # process/thread cap (fork bombs stop here)
    timeout_s: float = 120.0  # wall clock before the container is killed
    tmpfs_mb: int = 64  # size of each writable tmpfs (/tmp and the workdir's scratch)
    nofile: int = 1024  # open file descriptors
    fsize_mb: int = 64  # largest file a process may write
    output_bytes: int = 64_000  # stdout/stderr kept per stream (head and tail halves)


@dataclass(frozen=True)
class Mount:
    """A named Docker volume mounted into the container.

    Volumes, not bind mounts, so the worker can itself run inside a container
    that talks to the host's Docker socket (bind paths would be the host's).
    """

    volume: str  # Docker volume name (made through a RunScope or the Sandbox volume methods)
    target: str  # absolute path inside the container
    read_only: bool = True  # candidate code never gets to write grader inputs


@dataclass(frozen=True)
class SandboxJob:
    """One command to run in one container."""

    image: str  # image name or id
    command: tuple[str, ...]  # argv; no shell unless the caller puts one there
    limits: Limits = field(default_factory=Limits)
    env: tuple[tuple[str, str], ...] = ()  # environment, as pairs so the job stays hashable
    workdir: str = "/tmp"  # working directory inside the container
    mounts: tuple[Mount, ...] = ()
    network: str | None = None  # None: no network at all; else a network made by network()
    network_alias: str | None = None  # DNS name on that network (for services)
    egress: bool = False  # True only for dependency downloads: default bridge network
    user: str = SANDBOX_USER  # never root
    writable_paths: tuple[str, ...] = ()  # extra size-capped tmpfs mounts (besides /tmp)
    result_path: str | None = None  # file to take out after the run (must live on a Mount)
    result_max_bytes: int = 5_000_000  # larger result files are refused
    labels: tuple[tuple[str, str], ...] = ()  # extra labels (run id, stage) for cleanup
    runtime: str | None = None  # e.g. "runsc" for gVisor; None uses the daemon default

    def env_dict(self) -> dict[str, str]:
        return dict(self.env)


@dataclass(frozen=True)
class SandboxResult:
    """What came of a job: always returned, whatever the code under test did."""

    verdict: Verdict
    exit_code: int | None  # None when killed before it exited
    stdout: str  # capped: head and tail with a marker in between
    stderr: str
    duration_s: float  # wall seconds from start to exit or kill
    result: bytes | None = None  # content of job.result_path, when asked for and found
    result_error: str | None = None  # why the result file was refused, if it was
    image_id: str = ""  # exact image the job ran in (for reproducibility)
    output_truncated: bool = False  # True when stdout or stderr lost bytes to the cap

    @property
    def ok(self) -> bool:
        return self.verdict is Verdict.OK
