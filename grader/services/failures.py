"""How a grading ends when it cannot complete: a code, and a reason a person understands.

Every failure is classified: the candidate's (``clone_failed``, ``install_failed``)
or ours (``sandbox_error``, ``internal_error``: the attempt is given back and the
submission retried, never scored as the candidate's zero); ``timed_out`` may be
either, and says so to the candidate.
"""

from __future__ import annotations

import logging

from celery.exceptions import SoftTimeLimitExceeded

from grader.errors import FailureCode, GradingFailure
from grader.extensions import db
from grader.models import GradingRun, Submission, SubmissionStatus
from grader.models._base import utcnow

log = logging.getLogger(__name__)


def set_status(submission: Submission, status: SubmissionStatus, detail: str | None = None) -> None:
    submission.set_status(status, detail)
    db.session.commit()  # release the database before the next long sandbox step


def classify(exc: Exception, submission: Submission) -> tuple[FailureCode, str]:
    """The failure code and the sentence a person reads, for anything that ended a grading."""
    if isinstance(exc, GradingFailure):
        return exc.code, exc.reason
    if isinstance(exc, SoftTimeLimitExceeded):
        return FailureCode.TIMED_OUT, "grading took longer than the time limit"
    log.exception("grading %s crashed", submission.public_id)
    return FailureCode.INTERNAL_ERROR, f"internal error in the grader ({type(exc).__name__}); it has been logged"


def fail(submission: Submission, run: GradingRun | None, code: FailureCode, reason: str) -> None:
    """End a submission as failed with a reason a person understands."""
    if run is not None:
        run.status = "failed"
        run.finished_at = utcnow()
        run.notes = reason
    submission.failure_code = FailureCode(code).value
    submission.failure_reason = reason
    set_status(submission, SubmissionStatus.FAILED, reason)
