"""What a strategy receives and returns."""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from grader.services.install import Installer
    from grader.specs import AssessmentSpec
    from sandbox.images import ImageSet
    from sandbox.job import Limits, SandboxJob
    from sandbox.runner import DockerSandbox, Service

SUITE_DIR = "/suite"  # the hidden suite, read-only, in the tester
OUT_DIR = "/out"  # the tester's only writable volume: result files come out of it

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
    spec: AssessmentSpec
    sandbox: DockerSandbox
    images: ImageSet
    run_id: str  # label value shared by every container, network and volume of the run
    checkout: Path  # the candidate's files on the worker (read, never executed here)
    code_volume: str  # the same files as a root-owned read-only volume
    deps_volume: str  # installed dependencies (read-only)
    installer: Installer | None = None  # for strategies that also run the assessment's own apps (a starter)
    extra_images: dict[str, str] = field(default_factory=dict)  # the assessment's own images: name -> tag


class StageClock:
    """Seconds spent per stage (summed when a stage repeats), for run records and benchmarks."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.start = time.monotonic()

    @contextlib.contextmanager
    def stage(self, name: str):
        began = time.monotonic()
        try:
            yield
        finally:
            self.seconds[name] = round(self.seconds.get(name, 0.0) + time.monotonic() - began, 3)

    def finish(self) -> dict[str, float]:
        self.seconds["total"] = round(time.monotonic() - self.start, 3)
        return dict(self.seconds)


def tester_job(ctx: GradingContext, network: str, suite: str, out: str, command: tuple[str, ...], limits: Limits,
               env: dict[str, str], result_path: str | None) -> SandboxJob:
    """A job in the tester image on the run network: the suite read-only, one writable output volume."""
    from sandbox import Mount, SandboxJob
    from sandbox.runner import LABEL_RUN

    return SandboxJob(
        image=ctx.images.tester,
        command=command,
        limits=limits,
        env=tuple(env.items()),
        workdir=SUITE_DIR,
        mounts=(Mount(suite, SUITE_DIR), Mount(out, OUT_DIR, read_only=False)),
        network=network,
        result_path=result_path,
        labels=((LABEL_RUN, ctx.run_id), ("grader.stage", "tester")),
    )


def startup_failure(app: Service, health_path: str, startup_s: float) -> str:
    """Why an app never became healthy, in words, from its container's state."""
    state = app.state()
    if state.get("Running"):
        return f"the app did not answer {health_path} within {startup_s:.0f} s"
    if state.get("OOMKilled"):
        return "the app ran out of memory while starting"
    return f"the app exited during startup with code {state.get('ExitCode')}"


class Strategy(Protocol):
    def __init__(self, context: GradingContext) -> None: ...

    def run(self) -> StrategyOutcome: ...


def not_run(spec: AssessmentSpec, reason: str) -> tuple[CheckOutcome, ...]:
    return tuple(CheckOutcome(c.id, "not_run", message=reason) for c in spec.checks)


def outcomes_from_report(spec: AssessmentSpec, raw: bytes | None, missing_reason: str) -> tuple[CheckOutcome, ...]:
    """Fold per-test results (from the tester's plugin) into one outcome per check.

    A check passes only if every test marked with it passed; a check no test
    reported on did not run, which scores zero like a failure but says why.
    """
    if raw is None:
        return not_run(spec, missing_reason)
    try:
        tests = json.loads(raw)["tests"]
    except (ValueError, KeyError, TypeError):
        return not_run(spec, "the hidden suite's report was unreadable")
    by_check: dict[str, list[dict]] = {}
    for test in tests:
        if isinstance(test, dict) and test.get("check"):
            by_check.setdefault(str(test["check"]), []).append(test)
    outcomes = []
    for check in spec.checks:
        results = by_check.get(check.id, [])
        if not results:
            outcomes.append(CheckOutcome(check.id, "not_run", message="no hidden test reported on this check"))
            continue
        bad = [t for t in results if t.get("outcome") != "passed"]
        duration = sum(float(t.get("duration", 0)) for t in results)
        evidence = tuple(e for t in results for e in t.get("evidence", []))
        if not bad:
            outcomes.append(CheckOutcome(check.id, "passed", duration, evidence=evidence))
            continue
        first = bad[0]
        kind = "error" if any(t.get("outcome") == "error" for t in bad) else "failed"
        message = first.get("message") or first.get("outcome", "failed")
        output = "\n".join(f"{t['nodeid']}: {t.get('detail') or t.get('message', '')}" for t in bad)
        outcomes.append(CheckOutcome(check.id, kind, duration, message[:2000], output[-8000:], evidence))
    return tuple(outcomes)
