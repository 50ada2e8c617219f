"""Overrides recompute the score and the verdict that counts; every change keeps who, when and why."""

import pytest

from grader.errors import Invalid
from grader.extensions import db
from grader.models import Role, Submission
from grader.services import reviews
from grader.services.reports import report
from tests.factories import graded_submission


@pytest.fixture
def graded(app):
    with app.app_context():
        submission = graded_submission()
        reviews.apply_result(submission.runs[0])
        submission.result_run = submission.runs[0]
        db.session.commit()
        yield submission


def test_an_override_changes_the_total_and_keeps_the_graded_score(graded):
    reviews.override(graded, "get-note", 50, "the 500 came from our fixture data", reviews.Author(label="test"))
    body = report(db.session.get(Submission, graded.id), Role.INTERVIEWER)
    assert body["score"]["total"] == 100 and body["score"]["graded"] == 50
    assert body["annotations"][-1]["kind"] == "override" and body["annotations"][-1]["body"].startswith("the 500")


def test_an_override_needs_a_reason_and_points_in_range(graded):
    with pytest.raises(Invalid):
        reviews.override(graded, "get-note", 50, "  ", reviews.Author(label="test"))
    with pytest.raises(Invalid):
        reviews.override(graded, "get-note", 51, "too many", reviews.Author(label="test"))


def test_a_regrade_records_its_reason_and_queues(graded):
    reviews.regrade(graded, "candidate says the ref was wrong", reviews.Author(label="test"))
    body = report(db.session.get(Submission, graded.id), Role.INTERVIEWER)
    assert body["status"] == "queued"
    assert body["annotations"][-1] == {**body["annotations"][-1], "kind": "regrade", "body": "candidate says the ref was wrong"}
