"""Builders for dashboard tests: graded submissions with runs, verdicts, categories and checks; a table reader."""

from __future__ import annotations

from datetime import datetime, timedelta
from html.parser import HTMLParser

from grader.extensions import db
from grader.models import CheckResult, GradingRun, Submission, SubmissionStatus
from grader.services import catalog

NOTES_CHECKS = {  # notes-api: check id -> (category, max points)
    "health": ("correctness", 16.0), "create-note": ("correctness", 32.0), "get-note": ("correctness", 32.0),
    "missing-404": ("robustness", 10.0), "bad-input-422": ("robustness", 10.0),
}


def add_submission(name: str, email: str, *, score: float | None = None, status: str = "completed",
                   verdict: str | None = None, failed: tuple[str, ...] = (), findings: tuple[str, ...] = (),
                   slug: str = "notes-api", at: datetime | None = None, adjusted: float | None = None,
                   invitation_id: int | None = None) -> Submission:
    """A submission of ``slug``; with a ``score`` it gets a completed run whose ``failed`` checks scored zero."""
    spec = catalog.spec_for(slug)
    sub = Submission(assessment=catalog.row_for(spec), candidate_name=name, candidate_email=email,
                     repo_url="git://127.0.0.1/x.git", ref="main", attempts=1, invitation_id=invitation_id)
    db.session.add(sub)
    sub.set_status(SubmissionStatus.QUEUED, "submitted")
    if at is not None:
        sub.created_at = at
    if score is not None:
        run = GradingRun(submission=sub, attempt=1, status="completed", score_total=score, score_max=100.0,
                         adjusted_total=adjusted, verdict=verdict,
                         critical_findings=[{"check_id": "x", "sentence": s} for s in findings],
                         categories={"correctness": {"score": min(score, 80.0), "max": 80.0},
                                     "robustness": {"score": max(score - 80.0, 0.0), "max": 20.0}})
        for check_id, (category, points) in NOTES_CHECKS.items():
            outcome = "failed" if check_id in failed else "passed"
            run.checks.append(CheckResult(check_id=check_id, title=check_id, category=category, weight=1,
                                          max_points=points, points=0.0 if outcome == "failed" else points,
                                          outcome=outcome))
        db.session.add(run)
        db.session.flush()
        sub.result_run_id = run.id
    if status != "queued":
        sub.set_status(SubmissionStatus(status), status)
        if at is not None:
            sub.completed_at = at + timedelta(minutes=5)
    db.session.commit()
    return sub


class TableReader(HTMLParser):
    """The text of each body row's cells of the first <table> (what a person reads)."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._in_body = self._done = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if self._done:
            return
        if tag == "tbody":
            self._in_body = True
        elif self._in_body and tag == "tr":
            self.rows.append([])
        elif self._in_body and tag in ("td", "th"):
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag):
        if tag == "tbody" and self._in_body:
            self._in_body, self._done = False, True
        elif tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def table_rows(html: str) -> list[list[str]]:
    reader = TableReader()
    reader.feed(html)
    return reader.rows
