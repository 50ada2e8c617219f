"""The verdict shown before any number: a pure function of the rubric and the check outcomes.

A score averages; a verdict does not. A tenant leak in an otherwise good API is
"critical findings", not 87/100. The rules are the assessment's data
(``verdicts`` in assessment.yaml); the first rule whose conditions all hold wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from grader.specs import AssessmentSpec, VerdictRule

FAILED = ("failed", "error")  # "partial" earned a measured share; "not_run" never ran


@dataclass(frozen=True)
class CheckState:
    """What the verdict needs of one check's result."""

    check_id: str
    outcome: str  # passed|partial|failed|error|not_run
    overridden_to_full: bool = False  # an interviewer restored its points, with a reason


@dataclass(frozen=True)
class Finding:
    check_id: str
    sentence: str  # the check's ``finding``: one sentence a recruiter understands

    def to_dict(self) -> dict[str, str]:
        return {"check_id": self.check_id, "sentence": self.sentence}


@dataclass(frozen=True)
class Verdict:
    rule: VerdictRule
    critical_findings: tuple[Finding, ...]

    @property
    def id(self) -> str:
        return self.rule.id

    def to_dict(self) -> dict[str, str]:
        return {"id": self.rule.id, "label": self.rule.label, "tone": self.rule.tone, "meaning": self.rule.meaning}


def decide(spec: AssessmentSpec, states: Iterable[CheckState], score: float | None, maximum: float | None) -> Verdict:
    states = [s for s in states if spec.check(s.check_id) is not None]
    failed = [s for s in states if s.outcome in FAILED and not s.overridden_to_full]
    by_severity: dict[str, list[CheckState]] = {}
    for state in failed:
        by_severity.setdefault(spec.check(state.check_id).severity, []).append(state)
    ran = any(s.outcome != "not_run" for s in states)
    pct = 100.0 * (score or 0.0) / maximum if maximum else 0.0
    findings = tuple(Finding(s.check_id, spec.check(s.check_id).finding) for s in by_severity.get("critical", []))
    for rule in spec.verdicts:
        if _holds(rule, ran, by_severity, pct):
            return Verdict(rule, findings)
    raise AssertionError("the last verdict rule always holds (checked by the schema)")


def _holds(rule: VerdictRule, ran: bool, by_severity: dict[str, list[CheckState]], pct: float) -> bool:
    when = rule.when
    if when.nothing_ran is not None and when.nothing_ran == ran:
        return False
    if when.failed_severity is not None and not by_severity.get(when.failed_severity):
        return False
    if when.min_score_pct is not None and pct < when.min_score_pct - 1e-9:
        return False
    if when.max_failed_major is not None and len(by_severity.get("major", [])) > when.max_failed_major:
        return False
    return True


def rule_by_id(spec: AssessmentSpec | None, verdict_id: str | None) -> dict[str, str] | None:
    """The stored verdict id as {id, label, tone, meaning}, from the spec's rules when it still has them."""
    if not verdict_id:
        return None
    rules = spec.verdicts if spec is not None else ()
    rule = next((r for r in rules if r.id == verdict_id), None)
    if rule is None:
        return {"id": verdict_id, "label": verdict_id.replace("-", " ").capitalize(), "tone": "neutral", "meaning": ""}
    return {"id": rule.id, "label": rule.label, "tone": rule.tone, "meaning": rule.meaning}
