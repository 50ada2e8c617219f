"""Submit over HTTP → Celery on Redis → clone from git daemon → Docker → stored per-check results.

The same journey on the embedded SQLite database and on PostgreSQL.
"""

import pytest
from sqlalchemy import create_engine, text

from tests.factories import submission_dir

pytestmark = pytest.mark.slow

EXPECTED_BUGGY_FAILURES = {"list-notes", "missing-404"}


def _publish(git_server, name):
    return git_server.publish(submission_dir("notes-api", name), f"e2e-{name}")


def _check_stack(stack, git_server, database_url):
    good_url, buggy_url = _publish(git_server, "good"), _publish(git_server, "buggy")
    good = stack.submit(good_url)
    buggy = stack.submit(buggy_url)
    good_report = stack.wait(good["id"])
    buggy_report = stack.wait(buggy["id"])

    assert good_report["status"] == "completed", good_report
    assert good_report["commit"] == git_server.head("e2e-good")
    assert good_report["score"]["total"] == good_report["score"]["max"] == 100
    assert {c["outcome"] for c in good_report["checks"]} == {"passed"}

    assert buggy_report["status"] == "completed", buggy_report
    failed = {c["id"] for c in buggy_report["checks"] if c["outcome"] != "passed"}
    assert failed == EXPECTED_BUGGY_FAILURES
    assert buggy_report["score"]["total"] == pytest.approx(100 - 13.33 - 10, abs=0.02)
    assert [e["status"] for e in buggy_report["timeline"]] == ["queued", "cloning", "installing", "testing", "scoring", "completed"]
    assert buggy_report["timings"]["test"] > 0

    # What the worker stored, read straight from the database: one run, one row per check.
    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.check_id, c.outcome FROM check_results c JOIN grading_runs r ON r.id = c.run_id "
                "JOIN submissions s ON s.id = r.submission_id WHERE s.public_id = :id"
            ),
            {"id": buggy["id"]},
        ).all()
    engine.dispose()
    assert len(rows) == 6
    assert {r.check_id for r in rows if r.outcome == "failed"} == EXPECTED_BUGGY_FAILURES


def test_pipeline_on_sqlite(stack_factory, git_server):
    stack = stack_factory()
    database_url = f"sqlite:///{stack.env['GRADER_INSTANCE_DIR']}/grader.db"
    _check_stack(stack, git_server, database_url)


@pytest.mark.postgres
def test_pipeline_on_postgres(stack_factory, git_server, postgres):
    database_url = postgres.create_database()
    stack = stack_factory(database_url)
    _check_stack(stack, git_server, database_url)
