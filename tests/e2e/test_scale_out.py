"""Scale-out on Celery: two named workers on Redis and PostgreSQL share a burst of mixed submissions.

Each submission is enqueued twice (as a redelivery or a double click would),
so "graded exactly once" rests on the row lock taken when a run starts, not on
luck.  The timed kind (a copy of the notes-api fixture with ``timed: true``,
so its suite runs holding the host alone) goes to the timed queue; its
exclusive spans, recorded with each run, must never overlap.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from celery import Celery
from sqlalchemy import create_engine, text

from tests.conftest import ROOT, TEST_ASSESSMENTS
from tests.factories import submission_dir

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

BURST = 40
TIMED = 8
BUGGY_FAILURES = {"list-notes", "missing-404"}


@pytest.fixture
def timed_assessments(tmp_path):
    """The notes-api fixture again, as a timed assessment (its suite runs holding the host alone)."""
    folder = tmp_path / "assessments" / "notes-api-timed"
    shutil.copytree(TEST_ASSESSMENTS / "notes-api", folder)
    definition = folder / "assessment.yaml"
    text_ = definition.read_text().replace("slug: notes-api\n", "slug: notes-api-timed\ntimed: true\n", 1)
    definition.write_text(text_)
    return folder.parent


def test_two_workers_grade_a_burst_once_each(stack_factory, git_server, postgres, timed_assessments):
    database_url = postgres.create_database()
    path = os.pathsep.join([str(ROOT / "assessments"), str(TEST_ASSESSMENTS), str(timed_assessments)])
    stack = stack_factory(database_url, workers=2, GRADER_ASSESSMENTS_PATH=path)
    good, buggy = (git_server.publish(submission_dir("notes-api", n), f"scale-{n}") for n in ("good", "buggy"))
    plan = [("notes-api-timed", good) if i < TIMED else ("notes-api", good if i % 2 else buggy) for i in range(BURST)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        submitted = list(pool.map(lambda item: stack.submit(item[1], assessment=item[0]), plan))

    # Every grading task a second time, straight to the broker.
    engine = create_engine(database_url)
    with engine.connect() as conn:
        ids = dict(conn.execute(text("SELECT public_id, id FROM submissions")).all())
    broker = Celery(broker=stack.env["CELERY_BROKER_URL"])
    for (assessment, _), receipt in zip(plan, submitted, strict=True):
        queue = "grading-timed" if assessment == "notes-api-timed" else "grading"
        broker.send_task("workers.tasks.grade_submission", args=[ids[receipt["id"]]], queue=queue)

    with ThreadPoolExecutor(max_workers=8) as pool:
        reports = list(pool.map(lambda receipt: stack.wait(receipt["id"], timeout=1500), submitted))

    assert Counter(r["status"] for r in reports) == {"completed": BURST}, [r.get("failure") for r in reports]
    for (_, repo), report in zip(plan, reports, strict=True):
        failed = {c["id"] for c in report["checks"] if c["outcome"] != "passed"}
        assert failed == (set() if repo == good else BUGGY_FAILURES)
    with engine.connect() as conn:
        runs = conn.execute(text("SELECT submission_id, status, worker_host, stage_seconds FROM grading_runs")).all()
    engine.dispose()
    assert Counter(r.submission_id for r in runs) == Counter(ids.values())  # one run each: none twice, none lost
    assert {r.status for r in runs} == {"completed"}
    assert len({r.worker_host for r in runs}) == 2  # both workers took a share

    spans = sorted((s["host.exclusive_from_epoch"], s["host.exclusive_to_epoch"])
                   for s in (r.stage_seconds for r in runs) if "host.exclusive_from_epoch" in s)
    assert len(spans) == TIMED
    for (_, first_end), (second_start, _) in zip(spans, spans[1:], strict=False):
        assert first_end <= second_start  # timed suites held the host one at a time
