"""Builders for test data: keys, submissions and published fixture repositories."""

from __future__ import annotations

from pathlib import Path

from grader.extensions import db
from grader.services.keys import create_key

SUBMISSIONS = Path(__file__).parent / "fixtures" / "submissions"


def make_key(role: str) -> str:
    issued = create_key(role, label=f"test {role}")
    db.session.commit()
    return issued.token


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def submission_dir(assessment: str, name: str) -> Path:
    path = SUBMISSIONS / assessment / name
    assert path.is_dir(), path
    return path


def graded_submission(slug: str = "notes-api", *, score: float = 50.0):
    """A submission with one completed run and two check results, as the pipeline stores them."""
    from grader.models import CheckResult, GradingRun, Submission, SubmissionStatus
    from grader.services import catalog

    spec = catalog.spec_for(slug)
    submission = Submission(
        assessment=catalog.row_for(spec), candidate_name="Ada", candidate_email="ada@example.com",
        repo_url="git://127.0.0.1/x.git", ref="main", commit_sha="a" * 40, attempts=1,
    )
    db.session.add(submission)
    submission.set_status(SubmissionStatus.QUEUED, "submitted")
    run = GradingRun(
        submission=submission, attempt=1, status="completed", score_total=score, score_max=100.0,
        categories={"correctness": {"score": score, "max": 80.0}}, stage_seconds={"clone": 0.1, "install": 1.0, "test": 2.0, "total": 3.2},
        logs={"app": "gunicorn started"},
    )
    run.checks.append(CheckResult(check_id="health", category="correctness", weight=1, max_points=50, points=50,
                                  outcome="passed", output="", evidence=[]))
    run.checks.append(CheckResult(check_id="get-note", category="correctness", weight=1, max_points=50, points=0,
                                  outcome="failed", message="expected 200, got 500", output="Traceback ...",
                                  evidence=[{"method": "GET", "path": "/notes/1", "status": 500}]))
    db.session.add(run)
    submission.set_status(SubmissionStatus.COMPLETED, "score 50/100")
    db.session.commit()
    return submission
