"""Builders for portal tests: submissions made through the service, then moved by hand.

Grading never runs here: a test sets the status, failure and run fields a real
grading would have stored, and looks at what the candidate is shown.
"""

from __future__ import annotations

from datetime import timedelta

from grader.extensions import db
from grader.models import SubmissionStatus
from grader.models._base import utcnow
from grader.models.grading import CheckResult, GradingRun

S = SubmissionStatus
REPO = "http://127.0.0.1:9418/ada/solution.git"
STEPS = (S.CLONING, S.INSTALLING, S.TESTING, S.SCORING)


def add_submission(app, invitation_id: str, *, status: S = S.QUEUED, reached: S | None = None, code: str | None = None,
                   reason: str | None = None, notes: str | None = None, logs: dict | None = None,
                   score: tuple[float, float] | None = None, categories: dict | None = None,
                   checks: tuple[dict, ...] = (), repo_url: str = REPO) -> str:
    """A submission of this invitation moved to ``status`` (through ``reached`` for a failure); returns its public id."""
    from grader.services import invitations, submissions

    with app.app_context():
        invitation = invitations.by_public_id(invitation_id)
        submission = submissions.submit(
            submissions.NewSubmission(invitation.assessment_slug, invitation.candidate_name, invitation.candidate_email,
                                      repo_url, "main"),
            invitation=invitation, enqueue=False,
        ).submission
        last = reached or (S.SCORING if status is S.COMPLETED else status)
        for step in STEPS[: STEPS.index(last) + 1] if last in STEPS else ():
            submission.set_status(step)
        if logs is not None or notes is not None or score is not None or checks:
            run = GradingRun(submission=submission, attempt=1, status="completed" if status is S.COMPLETED else "failed",
                             logs=logs or {}, notes=notes, categories=categories or {},
                             score_total=score[0] if score else None, score_max=score[1] if score else None)
            for check in checks:
                run.checks.append(CheckResult(weight=1, max_points=1, points=0, **check))
            db.session.add(run)
            if status is S.COMPLETED:
                submission.result_run = run
        submission.failure_code, submission.failure_reason = code, reason
        if status.terminal:
            submission.set_status(status, reason)
        db.session.commit()
        return submission.public_id


def move_deadline_into_past(app, invitation_id: str) -> None:
    from grader.services import invitations

    with app.app_context():
        invitation = invitations.by_public_id(invitation_id)
        invitation.deadline = utcnow() - timedelta(minutes=1)
        db.session.commit()


def revoke(app, invitation_id: str) -> None:
    from grader.services import invitations

    with app.app_context():
        invitations.revoke(invitations.by_public_id(invitation_id))


def submissions_of(app, invitation_id: str) -> list:
    """(status, ref, repo_url) of each submission of this invitation, oldest first."""
    from grader.services import invitations

    with app.app_context():
        return [(s.status.value, s.ref, s.repo_url) for s in invitations.by_public_id(invitation_id).submissions]
