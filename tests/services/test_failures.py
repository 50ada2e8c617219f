"""Whatever ends a grading becomes a failure code and a sentence a person understands."""

from types import SimpleNamespace

from celery.exceptions import SoftTimeLimitExceeded

from grader.errors import CloneFailed, SandboxFailure
from grader.services.failures import classify as _failure

SUBMISSION = SimpleNamespace(public_id="sub_test")


def test_grading_failures_keep_their_code_and_reason():
    assert _failure(CloneFailed("ref 'x' was not found in the repository"), SUBMISSION) == (
        "clone_failed", "ref 'x' was not found in the repository")
    assert _failure(SandboxFailure("the sandbox is not available"), SUBMISSION)[0] == "sandbox_error"


def test_celery_soft_limit_is_a_timeout():
    assert _failure(SoftTimeLimitExceeded(), SUBMISSION) == ("timed_out", "grading took longer than the time limit")


def test_bugs_are_internal_errors_without_leaking_details():
    code, reason = _failure(KeyError("secret internals"), SUBMISSION)
    assert code == "internal_error"
    assert "KeyError" in reason and "secret internals" not in reason
