"""What each role may do and see."""

import pytest

from tests.factories import auth


def test_assessments_are_listed_for_any_role(client, keys):
    body = client.get("/api/v1/assessments", headers=auth(keys["candidate"])).json
    slugs = {a["slug"] for a in body["items"]}
    assert "notes-api" in slugs


def test_candidate_keys_cannot_be_made_any_more(client, keys):
    """Shared candidate keys queued gradings under any name; candidates are invited instead."""
    response = client.post("/api/v1/keys", json={"role": "candidate"}, headers=auth(keys["admin"]))
    assert response.status_code == 422
    assert "invite" in response.json["error"]["message"]


def test_a_receipt_cannot_submit(client, keys):
    from tests.api.test_submissions import _body

    assert client.post("/api/v1/submissions", json=_body(), headers=auth(keys["candidate"])).status_code == 403


def test_receipt_sees_its_submission_status_and_nothing_else(client, keys, submit):
    created = submit(keys["recruiter"])
    receipt = created["receipt"]
    body = client.get(f"/api/v1/submissions/{created['id']}", headers=auth(receipt)).json
    assert body["status"] == "queued"
    assert "score" not in body and "candidate" not in body
    assert client.get(f"/api/v1/submissions/{created['id']}/report", headers=auth(receipt)).status_code == 403
    assert client.post("/api/v1/submissions", json={}, headers=auth(receipt)).status_code == 403
    assert client.get("/api/v1/submissions", headers=auth(receipt)).status_code == 403


def test_receipt_cannot_read_another_submission(client, keys, submit, graded):
    receipt = submit(keys["recruiter"])["receipt"]
    assert client.get(f"/api/v1/submissions/{graded}", headers=auth(receipt)).status_code == 404


def test_recruiter_sees_scores_but_not_evidence(client, keys, graded):
    summary = client.get(f"/api/v1/submissions/{graded}", headers=auth(keys["recruiter"])).json
    assert summary["score"]["total"] == 50.0
    report = client.get(f"/api/v1/submissions/{graded}/report", headers=auth(keys["recruiter"])).json
    failed = next(c for c in report["checks"] if c["id"] == "get-note")
    assert failed["outcome"] == "failed" and failed["points"] == 0
    assert "evidence" not in failed and "output" not in failed
    assert "run" not in report and "timeline" not in report


def test_interviewer_sees_the_full_report(client, keys, graded):
    report = client.get(f"/api/v1/submissions/{graded}/report", headers=auth(keys["interviewer"])).json
    failed = next(c for c in report["checks"] if c["id"] == "get-note")
    assert failed["evidence"] == [{"method": "GET", "path": "/notes/1", "status": 500}]
    assert failed["output"] == "Traceback ..."
    assert [e["status"] for e in report["timeline"]] == ["queued", "completed"]
    assert report["run"]["logs"]["app"] == "gunicorn started"
    assert report["timings"]["total"] == 3.2
    for key in ("id", "assessment", "status", "failure_reason", "commit", "score", "checks", "timings"):
        assert key in report


def test_a_report_says_how_firm_its_score_is(client, keys, graded):
    recruiter = client.get(f"/api/v1/submissions/{graded}/report", headers=auth(keys["recruiter"])).json
    assert recruiter["score_spread"]["largest_range"] == 0.6
    assert "points_spread" not in recruiter["checks"][0]
    interviewer = client.get(f"/api/v1/submissions/{graded}/report", headers=auth(keys["interviewer"])).json
    spreads = {c["id"]: c["points_spread"] for c in interviewer["checks"]}
    assert spreads == {"health": None, "get-note": 0.4}


def test_a_report_tells_recruiters_whether_the_candidate_wrote_their_account(client, keys, graded):
    recruiter = client.get(f"/api/v1/submissions/{graded}/report", headers=auth(keys["recruiter"])).json
    assert recruiter["candidate_account"] == {"path": "NOTES.md", "present": True}


def test_a_report_gives_interviewers_the_candidates_account_as_written(client, keys, graded):
    interviewer = client.get(f"/api/v1/submissions/{graded}/report", headers=auth(keys["interviewer"])).json
    assert interviewer["candidate_account"] == {"path": "NOTES.md", "present": True, "markdown": "# Notes\nI used SQLite.",
                                                "truncated": False, "problem": None}


@pytest.mark.parametrize("role", ["candidate", "recruiter", "interviewer"])
def test_only_admins_manage_keys(client, keys, role):
    assert client.get("/api/v1/keys", headers=auth(keys[role])).status_code == 403
    assert client.post("/api/v1/keys", json={"role": "admin"}, headers=auth(keys[role])).status_code == 403


def test_admin_creates_and_lists_keys(client, keys):
    created = client.post("/api/v1/keys", json={"role": "interviewer", "label": "Grace"}, headers=auth(keys["admin"]))
    assert created.status_code == 201
    assert created.json["key"].startswith("gk_")
    listed = client.get("/api/v1/keys", headers=auth(keys["admin"])).json["items"]
    assert any(k["label"] == "Grace" and "key" not in k for k in listed)


def test_admin_gets_422_for_an_unknown_role(client, keys):
    response = client.post("/api/v1/keys", json={"role": "root"}, headers=auth(keys["admin"]))
    assert response.status_code == 422


def test_regrade_needs_interviewer(client, keys, graded):
    assert client.post(f"/api/v1/submissions/{graded}/regrade", headers=auth(keys["recruiter"])).status_code == 403
    response = client.post(f"/api/v1/submissions/{graded}/regrade", headers=auth(keys["interviewer"]))
    assert response.status_code == 202
    assert response.json["status"] == "queued"


def test_a_regrade_through_the_api_is_recorded_with_its_reason(client, keys, graded):
    body = {"reason": "the candidate's ref moved"}
    assert client.post(f"/api/v1/submissions/{graded}/regrade", json=body, headers=auth(keys["interviewer"])).status_code == 202
    report = client.get(f"/api/v1/submissions/{graded}/report", headers=auth(keys["interviewer"])).json
    regrade = report["annotations"][-1]
    assert regrade["kind"] == "regrade" and regrade["body"] == "the candidate's ref moved" and regrade["by"].startswith("API key")


def test_recruiter_lists_submissions_paginated(client, keys, graded, submit):
    submit(keys["recruiter"])
    body = client.get("/api/v1/submissions?per_page=1", headers=auth(keys["recruiter"])).json
    assert body["total"] == 3 and body["per_page"] == 1 and len(body["items"]) == 1
    assert client.get("/api/v1/submissions?page=0", headers=auth(keys["recruiter"])).status_code == 422
