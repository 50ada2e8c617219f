"""POST /submissions: accepted with 202 and a Location, refused with clear errors."""

import pytest

from tests.factories import auth


def test_submission_is_accepted_with_location_and_receipt(client, keys):
    response = client.post("/api/v1/submissions", json=_body(), headers=auth(keys["recruiter"]))
    assert response.status_code == 202
    assert response.headers["Location"] == f"/api/v1/submissions/{response.json['id']}"
    assert response.json["status"] == "queued"
    assert response.json["receipt"].startswith("gk_")


def test_malformed_json_is_400(client, keys):
    response = client.post(
        "/api/v1/submissions", data="{nope", headers={**auth(keys["recruiter"]), "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json["error"]["code"] == "malformed_json"


def test_non_object_body_is_400(client, keys):
    assert client.post("/api/v1/submissions", json=[1, 2], headers=auth(keys["recruiter"])).status_code == 400


def test_missing_fields_are_422_with_details(client, keys):
    response = client.post("/api/v1/submissions", json={"assessment": "notes-api"}, headers=auth(keys["recruiter"]))
    assert response.status_code == 422
    fields = {d["field"] for d in response.json["error"]["details"]}
    assert {"candidate_name", "candidate_email", "repo_url"} <= fields


def test_bad_email_is_422(client, keys):
    response = client.post("/api/v1/submissions", json=_body(candidate_email="nope"), headers=auth(keys["recruiter"]))
    assert response.status_code == 422


def test_unknown_assessment_is_422(client, keys):
    response = client.post("/api/v1/submissions", json=_body(assessment="nope"), headers=auth(keys["recruiter"]))
    assert response.status_code == 422
    assert "notes-api" in response.json["error"]["details"]["known"]


@pytest.mark.parametrize(
    "url", ["ext::sh -c evil", "ftp://example.com/x.git", "http://169.254.169.254/latest", "-uhoh"]
)
def test_dangerous_urls_are_refused_up_front(client, keys, url):
    response = client.post("/api/v1/submissions", json=_body(repo_url=url), headers=auth(keys["recruiter"]))
    assert response.status_code == 422


def test_option_like_ref_is_refused_up_front(client, keys):
    body = _body(ref="--upload-pack=touch /tmp/x")
    assert client.post("/api/v1/submissions", json=body, headers=auth(keys["recruiter"])).status_code == 422


def test_local_paths_are_refused_when_configured_off(client, keys, app):
    app.config["GRADER_ALLOW_LOCAL_REPOS"] = False
    body = _body(repo_url="/etc")
    assert client.post("/api/v1/submissions", json=body, headers=auth(keys["recruiter"])).status_code == 422


def test_unknown_submission_is_404(client, keys):
    assert client.get("/api/v1/submissions/sub_nope", headers=auth(keys["interviewer"])).status_code == 404


def _body(**overrides):
    body = {
        "assessment": "notes-api",
        "candidate_name": "Ada Lovelace",
        "candidate_email": "ada@example.com",
        "repo_url": "git://127.0.0.1:9/notes.git",  # loopback is allow-listed in tests
        "ref": "main",
    }
    body.update(overrides)
    return body
