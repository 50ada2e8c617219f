"""Submitting, finding and re-queueing submissions (the enqueueing side of the pipeline)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from grader.errors import CloneFailed, Invalid, NotFound
from grader.extensions import db
from grader.models import ApiKey, Assessment, Invitation, Role, Submission, SubmissionStatus
from grader.models._base import utcnow
from grader.services import catalog, keys
from grader.services.clone import ClonePolicy, classify_source, validate_ref
from grader.services.failures import fail_lost_worker
from grader.services.untrusted import without_credentials

log = logging.getLogger(__name__)

GRADE_TASK = "workers.tasks.grade_submission"


@dataclass(frozen=True)
class NewSubmission:
    assessment: str
    candidate_name: str
    candidate_email: str
    repo_url: str
    ref: str = "HEAD"


@dataclass(frozen=True)
class Receipt:
    submission: Submission
    receipt_token: str  # a candidate key that sees only this submission's status


def submit(data: NewSubmission, *, created_by: ApiKey | None = None, invitation: Invitation | None = None,
           enqueue: bool = True) -> Receipt:
    """Store a submission, then enqueue its grading once the row is committed.

    The URL and ref are checked now, so an impossible submission is refused with
    a 422 rather than accepted and failed later. Credentials in the URL are
    dropped: they would be stored and shown to staff.
    """
    spec = catalog.spec_for(data.assessment)
    repo_url = without_credentials(data.repo_url.strip())
    try:
        classify_source(repo_url, ClonePolicy.from_config(current_app.config))
        ref = validate_ref(data.ref or "HEAD")
    except CloneFailed as exc:
        raise Invalid(exc.reason, details={"field": "repo_url" if "ref" not in exc.reason else "ref"}) from exc
    submission = Submission(
        assessment=catalog.row_for(spec),
        candidate_name=data.candidate_name,
        candidate_email=data.candidate_email,
        repo_url=repo_url,
        ref=ref,
        created_by_key_id=created_by.id if created_by else None,
        invitation=invitation,
    )
    db.session.add(submission)
    submission.set_status(SubmissionStatus.QUEUED, "submitted")
    db.session.flush()
    issued = keys.create_key(Role.CANDIDATE.value, label=f"receipt {submission.public_id}", submission_id=submission.id)
    db.session.commit()
    if enqueue:
        enqueue_grading(submission)
    return Receipt(submission, issued.token)


def grading_queue(slug: str) -> str:
    """Timed assessments go to their own queue, consumed one grading at a time per host."""
    config = current_app.config
    spec = catalog.spec_or_none(slug)
    return config["GRADER_QUEUE_TIMED"] if spec is not None and spec.timed else config["GRADER_QUEUE_FUNCTIONAL"]


def enqueue_grading(submission: Submission) -> None:
    celery = current_app.extensions["celery"]
    celery.send_task(GRADE_TASK, args=[submission.id], queue=grading_queue(submission.assessment.slug))


def get_by_public_id(public_id: str) -> Submission:
    submission = db.session.scalar(select(Submission).where(Submission.public_id == public_id))
    if submission is None:
        raise NotFound(f"no submission {public_id}")
    return submission


def list_submissions(page: int, per_page: int, assessment: str | None = None) -> tuple[list[Submission], int]:
    query = select(Submission)
    if assessment:
        query = query.join(Submission.assessment).where(Assessment.slug == assessment)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(query.order_by(Submission.id.desc()).limit(per_page).offset((page - 1) * per_page)).all()
    return list(rows), total


def regrade(submission: Submission) -> Submission:
    """Queue a fresh grading run; earlier runs stay in the history."""
    submission.attempts = 0
    submission.failure_code = submission.failure_reason = None
    submission.completed_at = None
    submission.set_status(SubmissionStatus.QUEUED, "regrade requested")
    db.session.commit()
    enqueue_grading(submission)
    return submission


def sweep_stuck(*, enqueue: bool = True) -> dict[str, int]:
    """Re-queue or fail submissions that have not moved for too long (lost messages, dead workers)."""
    config = current_app.config
    cutoff = utcnow() - timedelta(seconds=config["GRADER_STUCK_AFTER_S"])
    stuck = db.session.scalars(
        select(Submission).where(
            Submission.status.not_in([SubmissionStatus.COMPLETED, SubmissionStatus.FAILED]),
            Submission.updated_at < cutoff,
        )
    ).all()
    counts = {"requeued": 0, "failed": 0}
    for submission in stuck:
        if submission.attempts >= config["GRADER_MAX_ATTEMPTS"]:
            fail_lost_worker(submission)
            counts["failed"] += 1
            continue
        submission.set_status(SubmissionStatus.QUEUED, f"re-queued: no progress since {submission.updated_at:%H:%M:%S} UTC")
        db.session.commit()
        if enqueue:
            enqueue_grading(submission)
        counts["requeued"] += 1
    if stuck:
        log.warning("sweeper: %s", counts)
    return counts
