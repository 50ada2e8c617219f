"""What a strategy receives and returns, and the protocol every strategy follows."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

if TYPE_CHECKING:
    from pydantic import BaseModel

    from grader.specs import AssessmentSpec
    from sandbox import RunScope
    from sandbox.images import ImageSet

T = TypeVar("T")
OUTCOMES = ("passed", "partial", "failed", "error", "not_run")


@dataclass(frozen=True)
class CheckOutcome:
    check_id: str
    outcome: str  # one of OUTCOMES
    duration_s: float = 0.0
    message: str = ""  # why it failed, in a sentence
    output: str = ""  # captured output (capped)
    evidence: tuple[Any, ...] = ()  # transcripts and figures for interviewers
    credit: float | None = None  # share of the check's points (0..1) for measured checks; None: all or nothing


@dataclass(frozen=True)
class StrategyOutcome:
    checks: tuple[CheckOutcome, ...]
    notes: str | None = None  # e.g. "the app did not answer /healthz within 30 s"
    logs: dict[str, str] = field(default_factory=dict)  # stage -> capped output
    image_id: str = ""
    signals: dict[str, Any] = field(default_factory=dict)  # reported to recruiters, never scored
    stage_seconds: dict[str, float] = field(default_factory=dict)  # the strategy's own split of the test stage


@dataclass(frozen=True)
class GradingContext:
    """Everything a strategy needs, handed down by the pipeline: it reaches up for nothing."""

    spec: AssessmentSpec
    options: BaseModel | None  # the strategy's own options, parsed once by the catalog
    scope: RunScope  # names, owns and removes every volume, network and container of the run
    images: ImageSet
    checkout: Path  # the candidate's files on the worker (read, never executed here)
    code_volume: str  # the same files as a root-owned read-only volume
    # The candidate's installed dependencies: blocks until the install (running beside the
    # strategy's own preparation) is done; raises InstallFailed when it failed.
    candidate_deps: Callable[[], str]
    # Dependencies of another app folder (e.g. the starter a perf run measures against).
    install: Callable[[Path], str] | None = None
    extra_images: dict[str, str] = field(default_factory=dict)  # the assessment's own images: name -> tag
    # Held while timing: no other grading shares the host's cores (see grader.services.timing).
    exclusive_host: Callable[[], contextlib.AbstractContextManager[dict]] | None = None
    baselines: BaselineStore | None = None  # figures measured earlier on this host; None: measure every time


class BaselineStore(Protocol):
    """Figures kept on this host between runs (grader.services.baselines)."""

    def get(self, key: str) -> dict | None: ...

    def put(self, key: str, value: dict) -> None: ...


class Strategy(Protocol):
    name: ClassVar[str]
    Options: ClassVar[type[BaseModel] | None]  # schema of ``spec.options``; None: the strategy takes none

    @classmethod
    def validate(cls, spec: AssessmentSpec, options: BaseModel | None) -> None:
        """Raise ValueError naming what in the assessment's data this strategy cannot run."""

    def __init__(self, context: GradingContext) -> None: ...

    def run(self) -> StrategyOutcome: ...


class StageClock:
    """Seconds spent per stage (summed when a stage repeats), for run records and benchmarks.

    Stages may overlap (they run in threads): each is timed on its own, and
    ``total`` is the wall time, so the parts may add up to more than the whole.
    """

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.start = time.monotonic()
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def stage(self, name: str):
        began = time.monotonic()
        try:
            yield
        finally:
            with self._lock:
                self.seconds[name] = round(self.seconds.get(name, 0.0) + time.monotonic() - began, 3)

    def timed(self, name: str, call: Callable[[], T]) -> Callable[[], T]:
        """``call`` timed as stage ``name`` (for a thread pool)."""
        def timed_call() -> T:
            with self.stage(name):
                return call()

        return timed_call

    def finish(self) -> dict[str, float]:
        self.seconds["total"] = round(time.monotonic() - self.start, 3)
        return dict(self.seconds)


def not_run(spec: AssessmentSpec, reason: str) -> tuple[CheckOutcome, ...]:
    return tuple(CheckOutcome(c.id, "not_run", message=reason) for c in spec.checks)
