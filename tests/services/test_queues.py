"""Timed assessments are graded on their own queue; everything else on the functional one."""

from grader.services.submissions import grading_queue


def test_a_timed_assessment_goes_to_the_timed_queue(app):
    with app.app_context():
        assert grading_queue("perf-challenge") == app.config["GRADER_QUEUE_TIMED"] == "grading-timed"


def test_other_assessments_go_to_the_functional_queue(app):
    with app.app_context():
        assert grading_queue("saas-api") == grading_queue("notes-api") == "grading"
