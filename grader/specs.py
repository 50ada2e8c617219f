"""Assessment definitions: ``assessments/<slug>/assessment.yaml`` read through one schema.

Assessments are data: what to start, which limits, which checks and weights.
Code appears only as a named strategy (see ``grader.strategies``); this module
knows nothing of strategies, so the catalog (``grader.services.catalog``), the
one loader above both, checks the name and the strategy's options.  The
database keeps a slug and a content hash, never a copy of any of this.
"""

from __future__ import annotations

import hashlib
import os
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sandbox.job import Limits


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LimitsSpec(_Strict):
    memory_mb: int = Field(512, ge=64, le=8192)
    cpus: float = Field(1.0, gt=0, le=8)
    pids: int = Field(256, ge=16, le=4096)
    timeout_s: float = Field(300, gt=0, le=3600)
    tmpfs_mb: int = Field(64, ge=1, le=2048)
    nofile: int = Field(1024, ge=64, le=65536)
    fsize_mb: int = Field(64, ge=1, le=4096)
    output_bytes: int = Field(64_000, ge=1000, le=10_000_000)

    def to_limits(self) -> Limits:
        return Limits(**self.model_dump())


class AppSpec(_Strict):
    """How to start the candidate's app inside its sandbox."""

    command: list[str]
    port: int = 8000
    health_path: str = "/healthz"
    startup_timeout_s: float = 30
    env: dict[str, str] = {}
    migrate_command: list[str] | None = None  # run first, when migrate_if_exists is present
    migrate_if_exists: str | None = None
    writable: list[str] = ["/data"]  # size-capped tmpfs paths the app may write
    data_dir: str | None = None  # a volume the app may write; kept after the run for data_scan
    limits: LimitsSpec = LimitsSpec(timeout_s=900)
    # Named copies of the app, each with its own data and env overrides (e.g. a strict one
    # with tiny rate limits); the tester reaches each at http://<name>:<port>.  Empty: one "app".
    instances: dict[str, dict[str, str]] = {}

    def instance_envs(self) -> dict[str, dict[str, str]]:
        if not self.instances:
            return {"app": dict(self.env)}
        return {name: {**self.env, **extra} for name, extra in self.instances.items()}


class InstallSpec(_Strict):
    limits: LimitsSpec = LimitsSpec(memory_mb=1024, timeout_s=600, fsize_mb=512, tmpfs_mb=512)
    max_download_mb: int | None = None  # None: the service-wide GRADER_MAX_DOWNLOAD_MB


class TesterSpec(_Strict):
    """The hidden suite: runs in its own container, never in the candidate's."""

    suite: str = "hidden"
    env: dict[str, str] = {}
    pytest_args: list[str] = []
    limits: LimitsSpec = LimitsSpec(timeout_s=600)


class OwnTestsSpec(_Strict):
    check: str  # passes when the candidate's own pytest suite runs and passes
    timeout_s: float = Field(180, gt=0, le=1800)


class LintSpec(_Strict):
    check: str  # passes when ruff's default rules find at most max_findings problems
    max_findings: int = Field(10, ge=0)


class DataScanSpec(_Strict):
    check: str  # passes when no password the tester used is stored plainly or as an unsalted digest


class QualitySpec(_Strict):
    """Checks the grader computes itself, beside the hidden suite."""

    own_tests: OwnTestsSpec | None = None
    lint: LintSpec | None = None
    data_scan: DataScanSpec | None = None

    def check_ids(self) -> list[str]:
        return [p.check for p in (self.own_tests, self.lint, self.data_scan) if p is not None]


class CategorySpec(_Strict):
    points: float = Field(gt=0)
    title: str = ""


Severity = Literal["critical", "major", "minor"]
SEVERITIES: tuple[str, ...] = ("critical", "major", "minor")


class CheckSpec(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,99}$")
    category: str
    # How much a failure matters to a hiring team, whatever its points: verdicts are built on it.
    severity: Severity
    weight: float = Field(1.0, gt=0)
    title: str = ""
    contract: str = ""  # the contract line this check enforces, for interviewers
    # What a failure means, in one sentence a recruiter understands (required for critical checks).
    finding: str = ""
    # Scores zero unless every check named here passed: a fast endpoint that answers
    # wrongly forfeits its speed points.
    requires: list[str] = []


class VerdictWhen(_Strict):
    """Conditions of a verdict rule; all given ones must hold (none given: always)."""

    nothing_ran: bool | None = None  # true: no check produced a result (the app never ran)
    failed_severity: Severity | None = None  # some check of this severity failed
    min_score_pct: float | None = Field(None, ge=0, le=100)
    max_failed_major: int | None = Field(None, ge=0)


class VerdictRule(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$")
    label: str
    tone: Literal["critical", "warning", "neutral", "good"] = "neutral"
    meaning: str = ""  # what a recruiter should take from it
    when: VerdictWhen = VerdictWhen()


# First matching rule wins; assessments may replace the list (the last rule must match always).
DEFAULT_VERDICTS = (
    VerdictRule(id="did-not-run", label="Did not run", tone="warning", when=VerdictWhen(nothing_ran=True),
                meaning="The submission could not be started, so nothing could be checked; see the reason."),
    VerdictRule(id="critical", label="Critical findings", tone="critical", when=VerdictWhen(failed_severity="critical"),
                meaning="At least one failure would be unacceptable in production, whatever the score."),
    VerdictRule(id="strong", label="Strong", tone="good", when=VerdictWhen(min_score_pct=90, max_failed_major=0),
                meaning="Meets the contract; only minor points lost."),
    VerdictRule(id="mixed", label="Mixed", tone="neutral", when=VerdictWhen(min_score_pct=65),
                meaning="Works, with significant gaps worth discussing."),
    VerdictRule(id="weak", label="Weak", tone="warning",
                meaning="Large parts of the contract are missing or broken."),
)


class CandidateFeedbackSpec(_Strict):
    """What a candidate sees of a graded submission; failures that are theirs are always shown."""

    score: bool = False  # the total and categories
    checks: bool = False  # each check's outcome and title (never the hidden tests or evidence)


class HandoutSpec(_Strict):
    """What ``grader assessments export`` gives a candidate: a folder plus extra files."""

    source: str  # folder inside the assessment, copied whole (e.g. the starter app)
    add: dict[str, str] = {}  # path in the handout -> file inside the assessment folder


class CandidateAccountSpec(_Strict):
    """A file the brief asks the candidate to write about their own work (what they measured,
    changed and traded off): stored with each grading and shown to interviewers, never scored."""

    path: str = Field(pattern=r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$")  # relative to the repository root
    title: str = "The candidate's account"
    max_bytes: int = Field(65_536, ge=1024, le=1_048_576)

    @field_validator("path")
    @classmethod
    def _inside(cls, path: str) -> str:
        if any(part in (".", "..") for part in path.split("/")):
            raise ValueError(f"candidate_account path {path!r} must name a file inside the repository")
        return path


class AssessmentSpec(_Strict):
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
    version: int = Field(ge=1)
    title: str
    summary: str = ""
    strategy: str = "service-tester"
    # Measures speed: graded on the timed queue (one at a time per host) while holding the host alone.
    timed: bool = False
    brief: str = "brief.md"
    app: AppSpec
    install: InstallSpec = InstallSpec()
    tester: TesterSpec = TesterSpec()
    quality: QualitySpec = QualitySpec()
    categories: dict[str, CategorySpec]
    checks: list[CheckSpec]
    options: dict[str, Any] = {}  # strategy-specific data (load profiles, seeds, ...), parsed by the strategy
    # Images the strategy starts besides runner and tester: name -> folder with a Dockerfile
    # (FROM the BASE_IMAGE build argument), built once per content hash.
    images: dict[str, str] = {}
    handout: HandoutSpec | None = None
    expected_time: str = ""  # how long the work is meant to take, shown to candidates ("about 3 hours")
    verdicts: tuple[VerdictRule, ...] = DEFAULT_VERDICTS
    candidate_feedback: CandidateFeedbackSpec = CandidateFeedbackSpec()
    candidate_account: CandidateAccountSpec | None = None

    folder: Path = Field(exclude=True)

    @field_validator("checks")
    @classmethod
    def _unique_ids(cls, checks: list[CheckSpec]) -> list[CheckSpec]:
        seen: set[str] = set()
        for check in checks:
            if check.id in seen:
                raise ValueError(f"check id {check.id!r} appears twice")
            seen.add(check.id)
        return checks

    @model_validator(mode="after")
    def _categories_known(self) -> AssessmentSpec:
        for check in self.checks:
            if check.category not in self.categories:
                raise ValueError(f"check {check.id!r} names unknown category {check.category!r}")
        for name in self.categories:
            if not any(c.category == name for c in self.checks):
                raise ValueError(f"category {name!r} has no checks")
        ids = {c.id for c in self.checks}
        for check_id in self.quality.check_ids():
            if check_id not in ids:
                raise ValueError(f"quality names unknown check {check_id!r}")
        for check in self.checks:
            if check.severity == "critical" and not check.finding:
                raise ValueError(f"critical check {check.id!r} needs a finding: one sentence a recruiter understands")
        if not self.verdicts or self.verdicts[-1].when != VerdictWhen():
            raise ValueError("the last verdict rule must have no conditions (it is the fallback)")
        if len({v.id for v in self.verdicts}) != len(self.verdicts):
            raise ValueError("verdict ids must be unique")
        for check in self.checks:
            for required in check.requires:
                if required not in ids or required == check.id:
                    raise ValueError(f"check {check.id!r} requires unknown check {required!r}")
        for name, folder in self.images.items():
            if not (self.folder / folder / "Dockerfile").is_file():
                raise ValueError(f"image {name!r}: {folder}/Dockerfile is missing")
        if self.handout:
            if not (self.folder / self.handout.source).is_dir():
                raise ValueError(f"handout source folder {self.handout.source!r} is missing")
            for target, source in self.handout.add.items():
                if not (self.folder / source).is_file() or target.startswith("/") or ".." in Path(target).parts:
                    raise ValueError(f"handout file {target!r} <- {source!r} is invalid")
        if self.quality.data_scan and not self.app.data_dir:
            raise ValueError("quality.data_scan needs app.data_dir")
        if not (self.folder / self.tester.suite).is_dir():
            raise ValueError(f"hidden suite folder {self.tester.suite!r} is missing")
        return self

    @property
    def suite_dir(self) -> Path:
        return self.folder / self.tester.suite

    @cached_property
    def content_hash(self) -> str:
        return _tree_hash(self.folder)

    @property
    def stability_file(self) -> Path:
        """Where the measured score spread of this exact content is kept (outside its hash)."""
        return self.folder / STABILITY_DIR / f"{self.content_hash}.json"

    @cached_property
    def suite_hash(self) -> str:
        return _tree_hash(self.suite_dir)

    def check(self, check_id: str) -> CheckSpec | None:
        return next((c for c in self.checks if c.id == check_id), None)


class SpecError(ValueError):
    """An assessment folder does not hold a valid definition."""


STABILITY_DIR = "stability"  # measurements of a version: kept beside it, so not part of what they measure


def _tree_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).parts
        if path.is_file() and "__pycache__" not in relative and relative[0] != STABILITY_DIR:
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def load_spec(folder: Path) -> AssessmentSpec:
    path = folder / "assessment.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SpecError(f"{path} does not exist") from exc
    except yaml.YAMLError as exc:
        raise SpecError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise SpecError(f"{path} must be a mapping")
    try:
        return AssessmentSpec(**data, folder=folder)
    except ValidationError as exc:
        raise SpecError(f"{path}: {exc}") from exc


def search_path(setting: str) -> list[Path]:
    return [Path(p) for p in setting.split(os.pathsep) if p]
