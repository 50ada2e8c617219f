"""Outages of ours are neither the candidate's zero nor a lost attempt: retried with back-off, then failed as ours."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from grader.errors import FailureCode, GradingTimeout, InfrastructureFailure, InstallFailed, SandboxFailure
from grader.extensions import db
from grader.models import SubmissionStatus
from grader.services.failures import Retry, classify, retry_or_fail
from grader.services.grading import grade, start_run
from grader.services.submissions import NewSubmission, regrade, submit
from sandbox.errors import EngineError
from tests.factories import submission_dir

SUBMISSION = SimpleNamespace(public_id="sub_test")


def _wrapped(inner: Exception, outer: Exception) -> Exception:
    try:
        try:
            raise inner
        except type(inner) as exc:
            raise outer from exc
    except type(outer) as exc:
        return exc


def test_an_outage_is_ours_however_deep_it_is_wrapped():
    engine = EngineError("the Docker engine failed while run: ConnectionError: Connection aborted.")
    assert classify(engine, SUBMISSION) == (FailureCode.INFRASTRUCTURE, str(engine))
    assert classify(EngineError("socket closed"), SUBMISSION)[1] == "the Docker engine failed: socket closed"
    wrapped = _wrapped(engine, SandboxFailure("the sandbox failed while testing: boom"))
    assert classify(wrapped, SUBMISSION)[0] is FailureCode.INFRASTRUCTURE
    index = InfrastructureFailure("the package index pypi.org could not be reached")
    assert classify(_wrapped(index, RuntimeError("x")), SUBMISSION) == (FailureCode.INFRASTRUCTURE, index.reason)


def test_the_engines_first_failure_is_named_not_the_clean_up_that_failed_after_it():
    first = _wrapped(EngineError("the Docker engine stopped answering while a job ran: Connection aborted."),
                     SandboxFailure("the sandbox failed while testing"))
    cleanup = _wrapped(first, EngineError("the Docker engine failed while remove volume: Connection aborted."))
    assert classify(cleanup, SUBMISSION)[1] == "the Docker engine stopped answering while a job ran: Connection aborted."


def test_the_candidates_failures_stay_theirs():
    assert classify(InstallFailed("requirements.txt is missing"), SUBMISSION)[0] is FailureCode.INSTALL_FAILED
    assert classify(GradingTimeout("the hidden tests did not finish"), SUBMISSION)[0] is FailureCode.TIMED_OUT
    assert classify(SandboxFailure("the tester ran out of memory"), SUBMISSION)[0] is FailureCode.SANDBOX_ERROR


def test_infrastructure_is_one_of_ours():
    assert FailureCode.INFRASTRUCTURE.value == "infrastructure" and FailureCode.INFRASTRUCTURE.ours
    assert not FailureCode.INSTALL_FAILED.ours and FailureCode.SANDBOX_ERROR.ours


@pytest.fixture
def submission(app):
    app.config.update(GRADER_INFRA_RETRIES=3, GRADER_INFRA_RETRY_BASE_S=30, GRADER_MAX_ATTEMPTS=3)
    with app.app_context():
        receipt = submit(NewSubmission("notes-api", "Ada", "ada@example.com", str(submission_dir("notes-api", "good"))),
                         enqueue=False)
        yield receipt.submission


def test_outages_back_off_then_fail_as_ours_never_as_attempts_used(app, submission):
    delays = []
    for retries in range(4):
        run = start_run(submission, task_id=None)
        outcome = retry_or_fail(submission, run, "the package index pypi.org could not be reached", retries, app.config)
        if outcome is not None:
            assert isinstance(outcome, Retry)
            delays.append(outcome.delay_s)
            assert submission.status is SubmissionStatus.QUEUED and submission.attempts == 0
            assert submission.events[-1].detail == f"our grading infrastructure had a problem; retrying in {outcome.delay_s:g} s"
            assert run.status == "retried" and "the package index" in run.notes
    assert delays == [30, 60, 120]
    assert submission.status is SubmissionStatus.FAILED and submission.failure_code == "infrastructure"
    assert submission.failure_reason == ("the package index pypi.org could not be reached "
                                         "(our grading infrastructure; tried 4 times)")
    assert [r.attempt for r in submission.runs] == [1, 2, 3, 4]  # four runs, each numbered, none counted against the candidate
    assert [r.status for r in submission.runs] == ["retried", "retried", "retried", "failed"]


def test_a_regraded_submission_numbers_its_next_run_after_the_earlier_ones(app, submission):
    run = start_run(submission, task_id=None)
    run.status = "completed"
    submission.set_status(SubmissionStatus.COMPLETED)
    db.session.commit()
    regrade(submission)
    assert start_run(submission, task_id=None).attempt == 2 and submission.attempts == 1


def test_a_finished_submission_asks_for_no_retry(app, submission):
    submission.set_status(SubmissionStatus.FAILED)
    db.session.commit()
    assert grade(submission.id) is None


def test_attempts_that_each_lost_their_worker_end_as_ours(app, submission):
    """Every attempt started and none finished (workers killed or restarted): an outage of ours, not a timeout."""
    submission.attempts = 3  # each started a run whose worker died (redelivery or the sweeper queued the next)
    submission.set_status(SubmissionStatus.TESTING)
    db.session.commit()
    assert grade(submission.id) is None
    assert submission.status is SubmissionStatus.FAILED and submission.failure_code == "infrastructure"
    assert "stopped before finishing, 3 times" in submission.failure_reason
    assert FailureCode(submission.failure_code).ours
