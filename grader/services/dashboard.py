"""The recruiter's dashboard: one row per candidate, filtered, sorted and exported.

A candidate is an assessment plus an e-mail. Their row shows the latest submission
(earlier attempts stay reachable) or, before anything was submitted, their invitation.
The table is read with a constant number of queries (submissions outer-joined to the
run whose result counts, then invitations, then decisions), so a thousand candidates
cost three round trips, not three thousand. Filtering and sorting happen on the built
rows, so the page and the CSV export agree by construction.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Mapping

from sqlalchemy import select

from grader.errors import Invalid
from grader.extensions import db
from grader.models import Assessment, Decision, GradingRun, Invitation, Submission, SubmissionStatus
from grader.models._base import utcnow
from grader.services import catalog
from grader.services.verdicts import rule_by_id

INVITATION_STATUSES = ("invited", "opened", "expired", "revoked")
STATUSES = tuple(s.value for s in SubmissionStatus) + INVITATION_STATUSES
SORTS = ("candidate", "status", "verdict", "score", "submitted", "graded")
ORDERS = ("asc", "desc")
# Best first when sorting by verdict ascending: a recruiter reads the strong ones first.
TONE_RANK = {"good": 0, "neutral": 1, "warning": 2, "critical": 3}
MAX_QUERY = 200


@dataclass(frozen=True)
class Filters:
    """What the recruiter asked to see; every field is optional except the sort."""

    assessment: str | None = None  # a slug from the catalog; None = every assessment
    status: str | None = None  # one of STATUSES
    verdict: str | None = None  # a verdict rule id ("none" = not graded yet)
    score_min: float | None = None  # on the shown score (after overrides)
    score_max: float | None = None
    q: str = ""  # a substring of the name or the e-mail, any case
    sort: str = "submitted"
    order: str = "desc"

    @classmethod
    def parse(cls, args: Mapping[str, Any]) -> Filters:
        """Read filters from a query string's plain dict; a bad value is Invalid, never ignored."""
        assessment = _blank(args.get("assessment"))
        if assessment is not None and assessment not in catalog.specs():
            raise Invalid(f"unknown assessment {assessment!r}", details={"field": "assessment"})
        status = _blank(args.get("status"))
        if status is not None and status not in STATUSES:
            raise Invalid(f"status must be one of {list(STATUSES)}", details={"field": "status"})
        verdict = _blank(args.get("verdict"))
        if verdict is not None and (len(verdict) > 32 or not all(c.isalnum() or c == "-" for c in verdict)):
            raise Invalid("verdict must be a verdict id", details={"field": "verdict"})
        low, high = _number(args.get("score_min"), "score_min"), _number(args.get("score_max"), "score_max")
        if low is not None and high is not None and low > high:
            raise Invalid("the lowest score must not exceed the highest", details={"field": "score_min"})
        q = (args.get("q") or "").strip()
        if len(q) > MAX_QUERY:
            raise Invalid(f"the search is longer than {MAX_QUERY} characters", details={"field": "q"})
        sort = _blank(args.get("sort")) or "submitted"
        if sort not in SORTS:
            raise Invalid(f"sort must be one of {list(SORTS)}", details={"field": "sort"})
        order = _blank(args.get("order")) or "desc"
        if order not in ORDERS:
            raise Invalid("order must be asc or desc", details={"field": "order"})
        return cls(assessment, status, verdict, low, high, q, sort, order)

    def query(self, **changes: Any) -> dict[str, str]:
        """These filters as query arguments (for links and the export), with ``changes`` applied."""
        values = {"assessment": self.assessment, "status": self.status, "verdict": self.verdict,
                  "score_min": self.score_min, "score_max": self.score_max, "q": self.q,
                  "sort": self.sort, "order": self.order, **changes}
        return {k: f"{v:g}" if isinstance(v, float) else str(v) for k, v in values.items() if v not in (None, "")}


def _blank(value: Any) -> str | None:
    value = (str(value) if value is not None else "").strip()
    return value or None


def _number(value: Any, name: str) -> float | None:
    text = _blank(value)
    if text is None:
        return None
    try:
        number = float(text)
    except ValueError:
        raise Invalid(f"{name} must be a number", details={"field": name}) from None
    if not 0 <= number <= 1e6:
        raise Invalid(f"{name} must be between 0 and 1000000", details={"field": name})
    return number


@dataclass(frozen=True, slots=True)
class Attempt:
    """One submission of a candidate (the row's latest one included)."""

    public_id: str
    status: str
    score: float | None
    score_max: float | None
    submitted_at: datetime
    graded_at: datetime | None


@dataclass(frozen=True, slots=True)
class DecisionView:
    decision: str  # advance|hold|reject
    note: str
    by: str  # the author's e-mail (or API key label), kept if the account goes
    at: datetime


@dataclass(frozen=True, slots=True)
class Row:
    """One candidate on the dashboard: what the table shows and the CSV exports."""

    name: str
    email: str
    assessment: str
    status: str  # the latest submission's status, or the invitation's (invited|opened|expired|revoked)
    verdict: dict[str, str] | None  # {id, label, tone, meaning}
    findings: tuple[str, ...]  # critical findings in plain words
    score: float | None  # after interviewers' overrides
    score_max: float | None
    categories: dict[str, dict[str, float]]  # name -> {score, max}
    submitted_at: datetime | None
    graded_at: datetime | None
    attempts: tuple[Attempt, ...]  # newest first; attempts[0] is the latest
    submission_id: str | None  # the latest submission's public id
    invitation_id: str | None
    decisions: tuple[DecisionView, ...] = field(default=())  # oldest first; the last one counts

    @property
    def bars(self) -> list[tuple[str, float, float, str]]:
        """(name, score, max, "name score/max") per category: what one <meter> needs, formatted once."""
        return [(name, c["score"], c["max"], f"{name} {_points(c['score'])}/{_points(c['max'])}")
                for name, c in self.categories.items()]

    @property
    def decision(self) -> DecisionView | None:
        return self.decisions[-1] if self.decisions else None

    @property
    def earlier(self) -> tuple[Attempt, ...]:
        return self.attempts[1:]

    @property
    def score_text(self) -> str:
        return _points(self.score)

    @property
    def max_text(self) -> str:
        return _points(self.score_max)


def _points(value: float | None) -> str:
    return "" if value is None else f"{round(value, 2):g}"


def shown_score(adjusted: float | None, total: float | None) -> float | None:
    return adjusted if adjusted is not None else total


def _invitation_status(invitation: Invitation, now: datetime) -> str:
    if invitation.revoked_at is not None:
        return "revoked"
    if now >= invitation.deadline:
        return "expired"
    return "opened" if invitation.opened_at is not None else "invited"


def _load(assessment: str | None) -> list[Row]:
    """Every candidate's row for ``assessment`` (or all), unfiltered: three queries whatever the count."""
    subs = (
        select(Submission.public_id, Submission.candidate_name, Submission.candidate_email, Submission.status,
               Submission.created_at, Submission.completed_at, Submission.invitation_id, Assessment.slug,
               GradingRun.score_total, GradingRun.adjusted_total, GradingRun.score_max, GradingRun.categories,
               GradingRun.verdict, GradingRun.critical_findings)
        .join(Assessment, Assessment.id == Submission.assessment_id)
        .outerjoin(GradingRun, GradingRun.id == Submission.result_run_id)
        .order_by(Submission.id)
    )
    invs = select(Invitation).order_by(Invitation.id)
    decs = select(Decision.assessment_slug, Decision.candidate_email, Decision.decision, Decision.note,
                  Decision.author_label, Decision.created_at).order_by(Decision.id)
    if assessment:
        subs = subs.where(Assessment.slug == assessment)
        invs = invs.where(Invitation.assessment_slug == assessment)
        decs = decs.where(Decision.assessment_slug == assessment)

    by_candidate: dict[tuple[str, str], list[Any]] = {}
    for sub in db.session.execute(subs):
        by_candidate.setdefault((sub.slug, sub.candidate_email.lower()), []).append(sub)
    invitations = list(db.session.scalars(invs))
    public_ids = {inv.id: inv.public_id for inv in invitations}
    newest_invitation = {(inv.assessment_slug, inv.candidate_email.lower()): inv for inv in invitations}
    decisions: dict[tuple[str, str], list[DecisionView]] = {}
    for dec in db.session.execute(decs):
        decisions.setdefault((dec.assessment_slug, dec.candidate_email.lower()), []).append(
            DecisionView(dec.decision, dec.note, dec.author_label, dec.created_at))

    specs = catalog.specs()
    verdicts: dict[tuple[str, str | None], dict[str, str] | None] = {}  # shared: fewer objects for the collector
    rows = []
    for key, group in by_candidate.items():
        latest = group[-1]
        attempts = tuple(
            Attempt(s.public_id, s.status.value, shown_score(s.adjusted_total, s.score_total), s.score_max,
                    s.created_at, s.completed_at)
            for s in reversed(group)
        )
        invitation = public_ids.get(latest.invitation_id) if latest.invitation_id else None
        if invitation is None and key in newest_invitation:
            invitation = newest_invitation[key].public_id
        rows.append(Row(
            name=latest.candidate_name, email=key[1], assessment=key[0], status=latest.status.value,
            verdict=verdicts.setdefault((key[0], latest.verdict), rule_by_id(specs.get(key[0]), latest.verdict)),
            findings=tuple(f.get("sentence", "") for f in latest.critical_findings or ()),
            score=attempts[0].score, score_max=latest.score_max, categories=dict(latest.categories or {}),
            submitted_at=latest.created_at, graded_at=latest.completed_at, attempts=attempts,
            submission_id=latest.public_id, invitation_id=invitation, decisions=tuple(decisions.get(key, ())),
        ))
    now = utcnow()
    for key, inv in newest_invitation.items():
        if key not in by_candidate:
            rows.append(Row(
                name=inv.candidate_name, email=key[1], assessment=key[0], status=_invitation_status(inv, now),
                verdict=None, findings=(), score=None, score_max=None, categories={}, submitted_at=None,
                graded_at=None, attempts=(), submission_id=None, invitation_id=inv.public_id,
                decisions=tuple(decisions.get(key, ())),
            ))
    return rows


def _keep(row: Row, f: Filters) -> bool:
    if f.status and row.status != f.status:
        return False
    if f.verdict and (row.verdict["id"] if row.verdict else "none") != f.verdict:
        return False
    if (f.score_min is not None or f.score_max is not None) and row.score is None:
        return False
    if f.score_min is not None and row.score < f.score_min - 1e-9:
        return False
    if f.score_max is not None and row.score > f.score_max + 1e-9:
        return False
    if f.q:
        needle = f.q.lower()
        return needle in row.name.lower() or needle in row.email
    return True


def _sort_key(sort: str):
    keys = {
        "candidate": lambda r: (r.name.lower(), r.email),
        "status": lambda r: r.status,
        "verdict": lambda r: (TONE_RANK.get(r.verdict["tone"], 1), r.verdict["label"]) if r.verdict else None,
        "score": lambda r: r.score,
        "submitted": lambda r: r.submitted_at,
        "graded": lambda r: r.graded_at,
    }
    return keys[sort]


def rows(filters: Filters) -> list[Row]:
    """The dashboard's rows: filtered, then sorted (rows without the sorted value always last)."""
    kept = [r for r in _load(filters.assessment) if _keep(r, filters)]
    key = _sort_key(filters.sort)
    present = [r for r in kept if key(r) is not None]
    missing = [r for r in kept if key(r) is None]
    present.sort(key=lambda r: (key(r), r.email), reverse=filters.order == "desc")
    missing.sort(key=lambda r: r.email)
    return present + missing


def assessments_with_rows() -> list[str]:
    """Slugs that have at least one submission or invitation, in catalog order (the chooser's default)."""
    used = set(db.session.scalars(select(Assessment.slug).join(Submission, Submission.assessment_id == Assessment.id)
                                  .distinct()))
    used |= set(db.session.scalars(select(Invitation.assessment_slug).distinct()))
    return [slug for slug in catalog.specs() if slug in used]


def category_names(found: Iterable[Row]) -> list[str]:
    """Every category present in these rows, in the order first seen (the spec's order)."""
    names: dict[str, None] = {}
    for row in found:
        names.update(dict.fromkeys(row.categories))
    return list(names)


CSV_COLUMNS = ("Candidate", "E-mail", "Assessment", "Status", "Verdict", "Critical findings", "Score", "Max")
CSV_TAIL = ("Submitted (UTC)", "Graded (UTC)", "Decision", "Decision note", "Decided by", "Decided at (UTC)",
            "Attempts", "Submission", "Invitation")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    """A CSV cell a spreadsheet will not run: text starting like a formula gets a leading quote."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    text = str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def to_csv(found: list[Row]) -> str:
    """The rows as CSV, in the table's order and with its columns (one column per category)."""
    categories = category_names(found)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS + tuple(categories) + CSV_TAIL)
    for row in found:
        decision = row.decision
        cats = [f"{_points(c['score'])}/{_points(c['max'])}" if (c := row.categories.get(n)) else "" for n in categories]
        writer.writerow([_cell(v) for v in (
            row.name, row.email, row.assessment, row.status, row.verdict["label"] if row.verdict else "",
            "; ".join(row.findings), row.score_text, row.max_text, *cats, row.submitted_at, row.graded_at,
            decision.decision if decision else "", decision.note if decision else "", decision.by if decision else "",
            decision.at if decision else None, len(row.attempts), row.submission_id, row.invitation_id,
        )])
    return out.getvalue()


def invitation_rows(assessment: str | None = None) -> list[tuple[Invitation, str, int]]:
    """Invitations, newest first, with their status and attempts used (submissions loaded in one more query)."""
    from sqlalchemy.orm import selectinload

    from grader.services.invitations import OUR_FAILURES

    query = select(Invitation).options(selectinload(Invitation.submissions)).order_by(Invitation.id.desc())
    if assessment:
        query = query.where(Invitation.assessment_slug == assessment)
    now = utcnow()
    return [(inv, _invitation_status(inv, now), sum(1 for s in inv.submissions if s.failure_code not in OUR_FAILURES))
            for inv in db.session.scalars(query)]
