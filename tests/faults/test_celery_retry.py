"""Through a real Celery worker on Redis: an outage of ours is retried by the task (``self.retry``), then failed as ours."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import stack_factory  # noqa: F401 - the e2e stack, reused
from tests.factories import submission_dir
from tests.faults.index_stub import closed_port

pytestmark = pytest.mark.slow


def test_the_worker_retries_an_index_outage_with_back_off_then_fails_it_as_ours(stack_factory, git_server):  # noqa: F811
    stack = stack_factory(GRADER_PIP_INDEX_URL=f"http://127.0.0.1:{closed_port()}/simple",
                          GRADER_INFRA_RETRIES="2", GRADER_INFRA_RETRY_BASE_S="0.5")
    url = git_server.publish(submission_dir("notes-api", "good"), "faults-celery-retry")
    body = stack.wait(stack.submit(url)["id"], timeout=120)
    assert body["status"] == "failed", body
    assert body["failure_code"] == "infrastructure"
    assert body["failure_reason"].startswith("the package index 127.0.0.1 could not be reached")
    assert body["failure_reason"].endswith("(our grading infrastructure; tried 3 times)")
    assert body["score"] is None  # never a completed zero
    waits = [e for e in body["timeline"] if e["status"] == "queued"][1:]
    assert [e["detail"] for e in waits] == [f"our grading infrastructure had a problem; retrying in {d} s" for d in ("0.5", "1")]
    assert "Retry in" in stack.worker.log()  # Celery's own retry, not a loop inside the task
