"""Two to four submissions side by side: verdicts, scores, categories and every check.

Read with three queries (the submissions with the runs that count, their check results, their overrides).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from sqlalchemy import select

from grader.errors import Invalid, NotFound
from grader.extensions import db
from grader.models import Annotation, Assessment, CheckResult, GradingRun, Submission
from grader.services import catalog
from grader.services.dashboard import shown_score
from grader.services.verdicts import rule_by_id

COMPARE_MIN, COMPARE_MAX = 2, 4


@dataclass(frozen=True)
class CompareCell:
    outcome: str  # passed|partial|failed|error|not_run
    points: float
    max_points: float


@dataclass(frozen=True)
class CompareCheck:
    check_id: str
    title: str
    category: str
    cells: tuple[CompareCell | None, ...]  # one per compared submission; None when that run lacks the check

    @property
    def differs(self) -> bool:
        return len({c.outcome if c else None for c in self.cells}) > 1


@dataclass(frozen=True)
class CompareColumn:
    public_id: str
    name: str
    email: str
    assessment: str
    status: str
    verdict: dict[str, str] | None
    findings: tuple[str, ...]
    score: float | None
    score_max: float | None
    categories: dict[str, dict[str, float]]


@dataclass(frozen=True)
class Comparison:
    columns: tuple[CompareColumn, ...]
    categories: tuple[str, ...]
    checks: tuple[CompareCheck, ...]


def compare(public_ids: Iterable[str]) -> Comparison:
    """Two to four submissions side by side: verdicts, scores, categories and every check (two queries)."""
    wanted = list(dict.fromkeys(p.strip() for p in public_ids if p and p.strip()))
    if not COMPARE_MIN <= len(wanted) <= COMPARE_MAX:
        raise Invalid(f"pick between {COMPARE_MIN} and {COMPARE_MAX} submissions to compare (you picked {len(wanted)})",
                      details={"field": "ids"})
    found = {
        sub.public_id: (sub, run, slug)
        for sub, run, slug in db.session.execute(
            select(Submission, GradingRun, Assessment.slug)
            .join(Assessment, Assessment.id == Submission.assessment_id)
            .outerjoin(GradingRun, GradingRun.id == Submission.result_run_id)
            .where(Submission.public_id.in_(wanted))
        )
    }
    missing = [p for p in wanted if p not in found]
    if missing:
        raise NotFound(f"no submission {', '.join(missing)}")
    runs = [found[p][1] for p in wanted]
    checks: dict[int, dict[str, CheckResult]] = {}
    run_ids = [r.id for r in runs if r is not None]
    overridden: dict[tuple[int, str], float] = {}  # (run, check) -> points an interviewer set, newest last
    if run_ids:
        for check in db.session.scalars(select(CheckResult).where(CheckResult.run_id.in_(run_ids)).order_by(CheckResult.id)):
            checks.setdefault(check.run_id, {})[check.check_id] = check
        for note in db.session.scalars(select(Annotation).where(Annotation.run_id.in_(run_ids), Annotation.kind == "override")
                                       .order_by(Annotation.id)):
            overridden[(note.run_id, note.check_id)] = note.points
    specs = catalog.specs()
    columns = []
    for p in wanted:
        sub, run, slug = found[p]
        columns.append(CompareColumn(
            public_id=p, name=sub.candidate_name, email=sub.candidate_email, assessment=slug, status=sub.status.value,
            verdict=rule_by_id(specs.get(slug), run.verdict) if run else None,
            findings=tuple(f.get("sentence", "") for f in (run.critical_findings or ())) if run else (),
            score=shown_score(run.adjusted_total, run.score_total) if run else None,
            score_max=run.score_max if run else None, categories=dict(run.categories or {}) if run else {},
        ))
    order: dict[str, CheckResult] = {}
    for run in runs:
        for check_id, check in (checks.get(run.id, {}) if run else {}).items():
            order.setdefault(check_id, check)
    rows_ = tuple(
        CompareCheck(check_id, first.title or check_id, first.category, tuple(
            CompareCell(c.outcome, overridden.get((run.id, check_id), c.points), c.max_points)
            if (c := checks.get(run.id, {}).get(check_id) if run else None)
            else None for run in runs))
        for check_id, first in order.items()
    )
    names: dict[str, None] = {}
    for column in columns:
        names.update(dict.fromkeys(column.categories))
    return Comparison(tuple(columns), tuple(names), rows_)
