"""The Docker engine going away mid-grading is ours: never "the app exited" or "no report", never a zero.

The grader talks to the real engine through a proxy socket (``DOCKER_HOST``); once the
candidate's app container is running, the proxy is cut (requests refused, the streams
the grader was reading broken), then restored a few seconds later.  What is implemented
and tested: the attempt is given back and retried with back-off; the retry that finds
the engine again removes what the cut attempt could not, and grades to completion.  An
engine that stays away past the retries ends ``failed``/``infrastructure``; a regrade once
it is back removes what the failed attempts left and completes.
"""

from __future__ import annotations

import threading
import time

import docker
import pytest

from grader.extensions import db
from grader.models import Role, Submission
from grader.services.grading import grade_until_done
from grader.services.reports import report
from grader.services.submissions import NewSubmission, regrade, submit
from sandbox.scope import LABEL_MANAGED, LABEL_STAGE, LABEL_WORKER
from tests.conftest import ROOT
from tests.factories import build_repo

REFERENCE = ROOT / "tests" / "fixtures" / "saas-api" / "reference"
OUTAGE_S = 3.0


def cut_once_the_app_runs(engine, worker: str, proxy, cuts: list[str], outage_s: float | None = OUTAGE_S) -> None:
    """Watch the real engine; when this worker's app container runs, cut the proxy for ``outage_s`` (None: for good)."""
    deadline = time.monotonic() + 600
    label = [f"{LABEL_MANAGED}=1", f"{LABEL_WORKER}={worker}"]
    while time.monotonic() < deadline:
        try:
            apps = [c for c in engine.containers.list(filters={"label": label, "status": "running"})
                    if c.labels.get(LABEL_STAGE, "").startswith("app-")]
        except docker.errors.NotFound:  # one was removed between the listing and its inspection: look again
            apps = []
        if apps:
            proxy.cut()
            cuts.append(apps[0].name)
            if outage_s is not None:
                time.sleep(outage_s)
                proxy.start()
            return
        time.sleep(0.2)


@pytest.mark.slow
def test_an_engine_cut_mid_run_is_retried_and_the_retry_completes(fault_app, images, git_server, tmp_path, monkeypatch,
                                                                  engine, docker_proxy, worker_leftovers):
    app = fault_app
    app.config.update(GRADER_INFRA_RETRIES=4, GRADER_INFRA_RETRY_BASE_S=1.0)  # 1, 2, 4, 8 s: outlasts the 3 s outage
    monkeypatch.setenv("DOCKER_HOST", docker_proxy.url)
    url = git_server.publish(build_repo(tmp_path / "repo", REFERENCE), "faults-engine-outage")
    worker = app.config["GRADER_WORKER_NAME"]
    cuts: list[str] = []
    watcher = threading.Thread(target=cut_once_the_app_runs, args=(engine, worker, docker_proxy, cuts), daemon=True)
    with app.app_context():
        sid = submit(NewSubmission("saas-api", "Ada", "ada@example.com", url, "main"), enqueue=False).submission.id
        watcher.start()
        retries = []
        grade_until_done(sid, on_retry=retries.append)
        watcher.join(timeout=OUTAGE_S + 5)
        submission = db.session.get(Submission, sid)
        body = report(submission, Role.INTERVIEWER)
        runs = [(r.status, r.notes or "") for r in submission.runs]

    assert cuts, "the app container never ran: nothing was cut"
    assert docker_proxy.connections > 0  # the grader really went through the proxy
    assert retries and all("Docker engine" in r.reason for r in retries), [r.reason for r in retries]
    assert runs[0][0] == "retried" and "Docker engine" in runs[0][1], runs
    assert all(status == "retried" for status, _ in runs[:-1]) and runs[-1][0] == "completed", runs
    assert body["status"] == "completed", body["failure_reason"]
    assert body["failure_code"] is None
    assert body["score"]["total"] == body["score"]["max"] == 100  # the retry graded it in full: no zero, no "app exited"
    assert worker_leftovers() == {"containers": [], "networks": [], "volumes": []}  # the cut attempt's too


@pytest.mark.slow
def test_an_engine_that_stays_away_fails_as_ours_and_the_regrade_clears_what_it_left(
        fault_app, images, git_server, tmp_path, monkeypatch, engine, docker_proxy, worker_leftovers):
    app = fault_app  # retried twice, after 0.2 and 0.4 s: the engine is still away
    monkeypatch.setenv("DOCKER_HOST", docker_proxy.url)
    url = git_server.publish(build_repo(tmp_path / "repo", REFERENCE), "faults-engine-away")
    worker = app.config["GRADER_WORKER_NAME"]
    cuts: list[str] = []
    with app.app_context():
        sid = submit(NewSubmission("saas-api", "Ada", "ada@example.com", url, "main"), enqueue=False).submission.id
        watcher = threading.Thread(target=cut_once_the_app_runs, args=(engine, worker, docker_proxy, cuts, None),
                                   daemon=True)
        watcher.start()
        grade_until_done(sid)
        submission = db.session.get(Submission, sid)
        assert cuts, "the app container never ran: nothing was cut"
        assert submission.status.value == "failed" and submission.failure_code == "infrastructure"
        assert "Docker engine" in submission.failure_reason and submission.failure_reason.endswith("tried 3 times)")
        assert submission.result_run is None  # never a zero, never "the app exited"
        assert worker_leftovers()["containers"]  # the engine was away: nothing could be removed

        docker_proxy.start()  # the engine is back; an operator regrades
        regrade(submission)
        grade_until_done(sid)
        body = report(db.session.get(Submission, sid), Role.INTERVIEWER)
    watcher.join(timeout=1)
    assert body["status"] == "completed" and body["score"]["total"] == 100, body["failure_reason"]
    assert worker_leftovers() == {"containers": [], "networks": [], "volumes": []}
