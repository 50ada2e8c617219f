"""Grade fixture repositories of a product assessment through the real pipeline (in-process)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from grader.extensions import db
from grader.models import Role, Submission
from grader.services.grading import grade_until_done
from grader.services.reports import report
from grader.services.submissions import NewSubmission, submit
from tests.factories import build_repo


@pytest.fixture
def grade_repo(app, images, git_server, tmp_path):
    """Publish ``layers`` (overlays applied in order by ``build_repo``) and grade it; return the report."""

    def _grade(assessment: str, *layers: Path, symlinks: dict[str, str] | None = None) -> dict:
        work = build_repo(tmp_path / f"repo-{uuid.uuid4().hex[:6]}", *layers)
        for link, target in (symlinks or {}).items():
            (work / link).parent.mkdir(parents=True, exist_ok=True)
            (work / link).symlink_to(target)
        url = git_server.publish(work, work.name)
        with app.app_context():
            receipt = submit(NewSubmission(assessment, "Fixture", "fixture@example.com", url, "main"), enqueue=False)
            grade_until_done(receipt.submission.id)  # an outage of ours is retried, as a worker would
            submission = db.session.get(Submission, receipt.submission.id)
            return report(submission, Role.INTERVIEWER)

    return _grade


def failed_checks(body: dict) -> set[str]:
    return {c["id"] for c in body["checks"] if c["outcome"] != "passed"}
