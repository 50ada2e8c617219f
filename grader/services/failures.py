"""How a grading ends when it cannot complete: a code, and a reason a person understands.

Every failure is classified by whose it is:

- the candidate's: ``clone_failed``, and the failures graded as a zero rather than
  ``failed`` (a requirement that does not exist, an app that exits, a check that fails);
- ours, passing: ``infrastructure`` (the package index or DNS unreachable, TLS to the
  index refused, the Docker engine erroring, restarted or cut off, a container killed
  from outside).  The attempt is given back and the grading retried with exponential
  back-off (``GRADER_INFRA_RETRIES`` times, from ``GRADER_INFRA_RETRY_BASE_S``), the
  candidate meanwhile seeing it queued again; then it ends ``failed`` with the reason
  for an operator.  Never a completed zero;
- ours, lasting: ``sandbox_error``, ``internal_error`` (a bug, logged);
- either: ``timed_out``, which says so to the candidate.

An infrastructure fault is found anywhere in the exception's chain: a strategy that
wraps a sandbox error in its own words still carries the engine's failure beneath.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded

from grader.errors import FailureCode, GradingFailure, InfrastructureFailure
from grader.extensions import db
from grader.models import GradingRun, Submission, SubmissionStatus
from grader.models._base import utcnow
from grader.services import preflight
from sandbox.errors import EngineError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Retry:
    """Our side failed: grade this submission again after ``delay_s`` (the caller schedules it)."""

    delay_s: float  # back-off before the next attempt
    reason: str  # what failed, for the log and the operator


def set_status(submission: Submission, status: SubmissionStatus, detail: str | None = None) -> None:
    submission.set_status(status, detail)
    db.session.commit()  # release the database before the next long sandbox step


def classify(exc: BaseException, submission: Submission) -> tuple[FailureCode, str]:
    """The failure code and the sentence a person reads, for anything that ended a grading."""
    ours = infrastructure_reason(exc)
    if ours is not None:
        return FailureCode.INFRASTRUCTURE, ours
    if isinstance(exc, GradingFailure):
        return exc.code, exc.reason
    if isinstance(exc, SoftTimeLimitExceeded):
        return FailureCode.TIMED_OUT, "grading took longer than the time limit"
    log.exception("grading %s crashed", submission.public_id)
    return FailureCode.INTERNAL_ERROR, f"internal error in the grader ({type(exc).__name__}); it has been logged"


def infrastructure_reason(exc: BaseException) -> str | None:
    """The operator's sentence when ``exc`` or anything beneath it is an outage of ours; else None.

    Our own words (``InfrastructureFailure``) win; else the engine's first failure, the
    deepest in the chain, not the clean-up calls that failed after it for the same reason.
    """
    engine = None
    for link in _chain(exc):
        if isinstance(link, InfrastructureFailure):
            return link.reason
        if isinstance(link, EngineError):
            engine = link
    if engine is None:
        return None
    return str(engine) if "Docker engine" in str(engine) else f"the Docker engine failed: {engine}"


def retry_or_fail(submission: Submission, run: GradingRun | None, reason: str, retries: int,
                  config: Any) -> Retry | None:
    """After an infrastructure failure: give the attempt back and ask for a retry, or end ``failed`` at the limit.

    ``retries`` is how many infrastructure retries this grading already had (the
    Celery task's own count, or the CLI's loop).  The attempt is given back so
    ``GRADER_MAX_ATTEMPTS`` keeps counting only attempts that ran to the candidate's
    code or lost their worker: an outage never uses up the candidate's attempts.
    """
    preflight.forget()  # whatever passed a minute ago is checked again
    limit = config["GRADER_INFRA_RETRIES"]
    if retries >= limit:
        log.error("grading %s failed on our side %d times: %s", submission.public_id, retries + 1, reason)
        fail(submission, run, FailureCode.INFRASTRUCTURE,
             f"{reason} (our grading infrastructure; tried {retries + 1} times)")
        return None
    delay = float(config["GRADER_INFRA_RETRY_BASE_S"]) * 2 ** retries
    log.warning("grading %s: our infrastructure failed (%s); retry %d of %d in %g s",
                submission.public_id, reason, retries + 1, limit, delay)
    if run is not None:
        run.status = "retried"
        run.finished_at = utcnow()
        run.notes = f"our infrastructure failed, retried: {reason}"
    submission.attempts = max(0, submission.attempts - 1)
    set_status(submission, SubmissionStatus.QUEUED,
               f"our grading infrastructure had a problem; retrying in {delay:g} s")
    return Retry(delay, reason)


def fail(submission: Submission, run: GradingRun | None, code: FailureCode, reason: str) -> None:
    """End a submission as failed with a reason a person understands."""
    if run is not None:
        run.status = "failed"
        run.finished_at = utcnow()
        run.notes = reason
    submission.failure_code = FailureCode(code).value
    submission.failure_reason = reason
    set_status(submission, SubmissionStatus.FAILED, reason)


def fail_lost_worker(submission: Submission) -> None:
    """Out of attempts that never finished: each lost its worker (killed, out of memory, restarted).

    Ours, not the candidate's: nothing the candidate's code does outlives the sandbox's own
    limits, so an invitation gives the attempt back and an operator reads the worker's logs.
    """
    fail(submission, None, FailureCode.INFRASTRUCTURE,
         f"the grading worker stopped before finishing, {submission.attempts} times (killed, out of memory or "
         "restarted); the attempt does not count against the candidate")


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc``, then what caused it or was being handled when it was raised; each once."""
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        yield link
        link = link.__cause__ or link.__context__
