"""The pipeline in-process (real Docker, no broker): outcomes, failures, idempotency, recovery."""

import shutil
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from grader.extensions import db
from grader.models import CheckResult, GradingRun, Submission, SubmissionStatus
from grader.models._base import utcnow
from grader.services import stability
from grader.services.grading import grade
from grader.services.submissions import NewSubmission, submit, sweep_stuck
from grader.specs import load_spec
from tests.conftest import TEST_ASSESSMENTS
from tests.factories import submission_dir

pytestmark = pytest.mark.slow


@pytest.fixture
def grading_app(app, images):
    """The app fixture, with Docker images ready."""
    return app


@pytest.fixture
def measured(grading_app):
    """A spread stored for the notes-api version under test, removed afterwards."""
    spec = load_spec(TEST_ASSESSMENTS / "notes-api")
    spread = stability.Spread(measured_on=date(2026, 12, 7), passes=5, fixtures=3, largest_range=0.7,
                              median_range=0.1, kendall_tau_min=1.0)
    stability.store(spec, spread)
    yield spread
    shutil.rmtree(spec.stability_file.parent)


def _submit(url: str, ref: str = "main") -> int:
    receipt = submit(NewSubmission("notes-api", "Ada", "ada@example.com", url, ref), enqueue=False)
    return receipt.submission.id


def _published(git_server, name: str) -> str:
    return git_server.publish(submission_dir("notes-api", name), f"grading-{name}")


def test_good_submission_scores_full_marks(grading_app, git_server, measured):
    with grading_app.app_context():
        sid = _submit(_published(git_server, "good"))
        grade(sid)
        submission = db.session.get(Submission, sid)
        assert submission.status is SubmissionStatus.COMPLETED
        run = submission.runs[-1]
        assert run.score_total == run.score_max == 100
        assert run.suite_hash and run.assessment_hash and run.image_id
        assert set(run.stage_seconds) >= {"clone", "install", "test", "total"}
        assert run.score_spread == measured.model_dump(mode="json")  # how firm a score of this version is
        assert run.candidate_account["present"] and run.candidate_account["text"].startswith("# Design notes")


def test_install_failure_is_a_zero_grade_with_the_reason(grading_app, git_server):
    with grading_app.app_context():
        sid = _submit(_published(git_server, "unpinned"))
        grade(sid)
        submission = db.session.get(Submission, sid)
        assert submission.status is SubmissionStatus.COMPLETED
        assert submission.failure_code == "install_failed"
        assert "requirements.txt line 1 is not allowed" in submission.failure_reason
        run = submission.runs[-1]
        assert run.score_total == 0
        assert {c.outcome for c in run.checks} == {"not_run"}
        assert run.verdict == "did-not-run"  # not "critical findings": nothing was checked


def test_a_refused_pin_keeps_pips_output_for_the_candidate(grading_app, git_server):
    with grading_app.app_context():
        sid = _submit(_published(git_server, "missing-version"))
        grade(sid)
        submission = db.session.get(Submission, sid)
        assert submission.failure_code == "install_failed"
        assert "downloading wheels failed: ERROR: Could not find a version" in submission.failure_reason
        assert "0.0.999" in submission.runs[-1].logs["install"]


def test_app_that_crashes_on_start_gets_zero_with_logs(grading_app, git_server):
    with grading_app.app_context():
        sid = _submit(_published(git_server, "crashes"))
        grade(sid)
        submission = db.session.get(Submission, sid)
        assert submission.status is SubmissionStatus.COMPLETED
        assert "exited during startup" in submission.failure_reason
        run = submission.runs[-1]
        assert run.score_total == 0
        assert "NOTES_SECRET is required" in run.logs["app"]


def test_missing_ref_fails_with_a_clone_reason(grading_app, git_server):
    with grading_app.app_context():
        sid = _submit(_published(git_server, "good"), ref="no-such-branch")
        grade(sid)
        submission = db.session.get(Submission, sid)
        assert submission.status is SubmissionStatus.FAILED
        assert submission.failure_code == "clone_failed"
        assert submission.failure_reason == "ref 'no-such-branch' was not found in the repository"


def test_grading_twice_changes_nothing(grading_app, git_server):
    with grading_app.app_context():
        sid = _submit(_published(git_server, "buggy"))
        grade(sid)
        first = db.session.get(Submission, sid).runs[-1].score_total
        grade(sid)  # e.g. a duplicate delivery after completion
        assert db.session.scalar(select(func.count()).select_from(GradingRun).where(GradingRun.submission_id == sid)) == 1
        assert db.session.get(Submission, sid).runs[-1].score_total == first


def test_redelivered_task_abandons_its_dead_run_and_does_not_duplicate(grading_app, git_server):
    with grading_app.app_context():
        sid = _submit(_published(git_server, "buggy"))
        submission = db.session.get(Submission, sid)
        # The worker that first took task "t-1" died mid-test: its run and status were left behind.
        dead = GradingRun(submission=submission, attempt=1, status="running", task_id="t-1")
        dead.checks.append(CheckResult(check_id="health", category="correctness", weight=1, max_points=1, points=1, outcome="passed"))
        db.session.add(dead)
        submission.attempts = 1
        submission.set_status(SubmissionStatus.TESTING)
        db.session.commit()
        grade(sid, task_id="t-1")  # the broker redelivers the same message
        runs = db.session.get(Submission, sid).runs
        assert [r.status for r in runs] == ["abandoned", "completed"]
        assert runs[-1].attempt == 2
        assert len(runs[-1].checks) == 6
        assert db.session.get(Submission, sid).status is SubmissionStatus.COMPLETED


def test_a_second_delivery_leaves_a_live_run_alone(grading_app, git_server):
    with grading_app.app_context():
        sid = _submit(_published(git_server, "good"))
        submission = db.session.get(Submission, sid)
        db.session.add(GradingRun(submission=submission, attempt=1, status="running", task_id="t-live"))
        submission.attempts = 1
        submission.set_status(SubmissionStatus.TESTING)
        db.session.commit()
        grade(sid, task_id="t-other")
        assert [r.status for r in db.session.get(Submission, sid).runs] == ["running"]


def test_sweeper_requeues_a_stuck_submission(app):
    with app.app_context():
        sid = _submit("git://127.0.0.1:9/x.git")
        submission = db.session.get(Submission, sid)
        submission.set_status(SubmissionStatus.TESTING)
        submission.attempts = 1
        db.session.commit()
        submission.updated_at = utcnow() - timedelta(hours=2)
        db.session.commit()
        assert sweep_stuck(enqueue=False) == {"requeued": 1, "failed": 0}
        assert db.session.get(Submission, sid).status is SubmissionStatus.QUEUED


def test_sweeper_fails_a_submission_out_of_attempts(app):
    with app.app_context():
        sid = _submit("git://127.0.0.1:9/x.git")
        submission = db.session.get(Submission, sid)
        submission.attempts = app.config["GRADER_MAX_ATTEMPTS"]
        submission.set_status(SubmissionStatus.INSTALLING)
        db.session.commit()
        submission.updated_at = utcnow() - timedelta(hours=2)
        db.session.commit()
        assert sweep_stuck(enqueue=False) == {"requeued": 0, "failed": 1}
        submission = db.session.get(Submission, sid)
        assert submission.status is SubmissionStatus.FAILED
        assert submission.failure_code == "infrastructure"  # lost workers are ours, never the candidate's
        assert "stopped before finishing, 3 times" in submission.failure_reason


def test_sweeper_leaves_fresh_submissions_alone(app):
    with app.app_context():
        _submit("git://127.0.0.1:9/x.git")
        assert sweep_stuck(enqueue=False) == {"requeued": 0, "failed": 0}
