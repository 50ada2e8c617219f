"""What staff add to a grade: decisions, notes, overrides with reasons, regrades with reasons.

An override changes one check's points in one run; the run's adjusted total and
verdict are recomputed from the stored results, so the dashboard shows the new
score and the original stays beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from grader.errors import Invalid, NotFound
from grader.extensions import db
from grader.models import DECISIONS, Annotation, Decision, GradingRun, Submission, User
from grader.services import catalog
from grader.services.verdicts import CheckState, decide

MAX_TEXT = 4000


@dataclass(frozen=True)
class Author:
    """Who did it: a signed-in user, or a machine's API key (label)."""

    user: User | None = None
    label: str = ""

    @property
    def name(self) -> str:
        return self.user.email if self.user else self.label


def _text(value: str, field: str, *, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        raise Invalid(f"a {field} is required", details={"field": field})
    if len(value) > MAX_TEXT:
        raise Invalid(f"the {field} is longer than {MAX_TEXT} characters", details={"field": field})
    return value


def overrides_for(run: GradingRun) -> dict[str, Annotation]:
    """The newest override per check of this run."""
    rows = db.session.scalars(
        select(Annotation).where(Annotation.run_id == run.id, Annotation.kind == "override").order_by(Annotation.id)
    )
    return {a.check_id: a for a in rows}


def apply_result(run: GradingRun) -> None:
    """Recompute the run's adjusted total and verdict from its checks and overrides."""
    overrides = overrides_for(run) if run.id else {}
    total = 0.0
    states = []
    for check in run.checks:
        override = overrides.get(check.check_id)
        points = override.points if override is not None else check.points
        total += points
        states.append(CheckState(check.check_id, check.outcome,
                                 overridden_to_full=override is not None and points >= check.max_points - 1e-9))
    run.adjusted_total = round(total, 2)
    spec = catalog.spec_or_none(run.submission.assessment.slug)
    if spec is None:
        return  # the assessment left the catalog: keep the stored verdict
    verdict = decide(spec, states, run.adjusted_total, run.score_max)
    run.verdict = verdict.id
    run.critical_findings = [f.to_dict() for f in verdict.critical_findings]


def override(submission: Submission, check_id: str, points: float, reason: str, author: Author) -> Annotation:
    run = submission.result_run
    if run is None:
        raise Invalid("this submission has no graded run to override")
    check = next((c for c in run.checks if c.check_id == check_id), None)
    if check is None:
        raise NotFound(f"no check {check_id} in this run")
    if not 0 <= points <= check.max_points + 1e-9:
        raise Invalid(f"points must be between 0 and {check.max_points:g}", details={"field": "points"})
    note = Annotation(submission=submission, run_id=run.id, check_id=check_id, kind="override", points=round(points, 2),
                      body=_text(reason, "reason", required=True), author_id=author.user.id if author.user else None,
                      author_label=author.name)
    db.session.add(note)
    db.session.flush()
    apply_result(run)
    db.session.commit()
    return note


def add_note(submission: Submission, check_id: str | None, body: str, author: Author) -> Annotation:
    run = submission.result_run
    if check_id and (run is None or not any(c.check_id == check_id for c in run.checks)):
        raise NotFound(f"no check {check_id} in this run")
    note = Annotation(submission=submission, run_id=run.id if run else None, check_id=check_id or None, kind="note",
                      body=_text(body, "note", required=True), author_id=author.user.id if author.user else None,
                      author_label=author.name)
    db.session.add(note)
    db.session.commit()
    return note


def regrade(submission: Submission, reason: str, author: Author) -> Submission:
    from grader.services import submissions

    note = Annotation(submission=submission, run_id=submission.result_run_id, kind="regrade",
                      body=_text(reason, "reason", required=True), author_id=author.user.id if author.user else None,
                      author_label=author.name)
    db.session.add(note)
    db.session.flush()
    return submissions.regrade(submission)


def decide_candidate(assessment: str, email: str, decision: str, note: str, author: Author) -> Decision:
    if decision not in DECISIONS:
        raise Invalid(f"decision must be one of {list(DECISIONS)}", details={"field": "decision"})
    row = Decision(assessment_slug=assessment, candidate_email=email.lower(), decision=decision,
                   note=_text(note, "note", required=False), author_id=author.user.id if author.user else None,
                   author_label=author.name)
    db.session.add(row)
    db.session.commit()
    return row


def decisions_for(assessment: str, email: str) -> list[Decision]:
    return list(db.session.scalars(
        select(Decision).where(Decision.assessment_slug == assessment, Decision.candidate_email == email.lower())
        .order_by(Decision.id)
    ))
