"""A grading during a package index outage ends ``failed``/``infrastructure`` after its retries, never a zero;
once the index is back, a regrade of the same commit completes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from grader.extensions import db
from grader.models import Role, Submission, SubmissionStatus
from grader.services.grading import grade_until_done
from grader.services.reports import report
from grader.services.submissions import NewSubmission, regrade, submit
from tests.conftest import ROOT, grader_env
from tests.factories import build_repo, submission_dir
from tests.faults.conftest import BASE_S, RETRIES
from tests.faults.index_stub import closed_port

REFERENCE = ROOT / "tests" / "fixtures" / "saas-api" / "reference"


@pytest.mark.slow
def test_an_unreachable_index_fails_as_ours_then_a_regrade_completes(fault_app, images, git_server, tmp_path,
                                                                     worker_leftovers):
    app = fault_app
    url = git_server.publish(build_repo(tmp_path / "repo", REFERENCE), "faults-index-outage")
    restored = app.config["GRADER_PIP_INDEX_URL"]
    # The index is down: nothing listens where it should be. Checked before cloning, so no dependency
    # cache (the reference's pins are cached on this host) can hide it.
    app.config["GRADER_PIP_INDEX_URL"] = f"http://127.0.0.1:{closed_port()}/simple"
    with app.app_context():
        sid = submit(NewSubmission("saas-api", "Ada", "ada@example.com", url, "main"), enqueue=False).submission.id
        retries = []
        grade_until_done(sid, on_retry=retries.append)
        submission = db.session.get(Submission, sid)
        assert submission.status is SubmissionStatus.FAILED, submission.failure_reason
        assert submission.failure_code == "infrastructure"
        assert submission.failure_reason.startswith("the package index 127.0.0.1 could not be reached:")
        assert submission.failure_reason.endswith(f"(our grading infrastructure; tried {RETRIES + 1} times)")
        assert [r.delay_s for r in retries] == [BASE_S, 2 * BASE_S]
        assert [r.status for r in submission.runs] == ["retried"] * RETRIES + ["failed"]
        assert submission.result_run is None and all(r.score_total is None for r in submission.runs)  # never a zero
        waiting = [e.detail for e in submission.events if e.status == "queued"][1:]
        assert waiting == [f"our grading infrastructure had a problem; retrying in {d:g} s" for d in (BASE_S, 2 * BASE_S)]

        app.config["GRADER_PIP_INDEX_URL"] = restored  # the outage is over
        regrade(submission)
        grade_until_done(sid)
        submission = db.session.get(Submission, sid)
        body = report(submission, Role.INTERVIEWER)
        assert body["status"] == "completed", body["failure_reason"]
        assert body["failure_code"] is None
        assert body["score"]["total"] == body["score"]["max"] == 100
    assert worker_leftovers() == {"containers": [], "networks": [], "volumes": []}


def test_the_cli_waits_out_the_back_off_then_reports_failed_infrastructure(tmp_path):
    """``grader grade`` grades in-process: it retries there, then says whose failure it was (no Docker reached)."""
    env = grader_env(tmp_path, GRADER_ENV="development", GRADER_PIP_INDEX_URL=f"http://127.0.0.1:{closed_port()}/simple",
                     GRADER_INFRA_RETRIES="2", GRADER_INFRA_RETRY_BASE_S="0.1")
    proc = subprocess.run(
        [sys.executable, "-m", "grader.cli", "grade", str(submission_dir("notes-api", "good")), "--assessment", "notes-api",
         "--json"],
        cwd=ROOT, env={**__import__("os").environ, **env}, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 1, proc.stderr[-2000:]
    body = json.loads(proc.stdout)
    assert body["status"] == "failed" and body["failure_code"] == "infrastructure"
    assert "could not be reached" in body["failure_reason"] and "tried 3 times" in body["failure_reason"]
    assert proc.stderr.count("our infrastructure failed (the package index 127.0.0.1 could not be reached") == 2
    assert "retrying in 0.1 s" in proc.stderr and "retrying in 0.2 s" in proc.stderr
