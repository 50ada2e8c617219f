"""Every endpoint but health needs a live key; errors share one JSON shape."""

import pytest

from tests.factories import auth

PROTECTED = [
    ("GET", "/api/v1/assessments"),
    ("POST", "/api/v1/submissions"),
    ("GET", "/api/v1/submissions"),
    ("GET", "/api/v1/submissions/sub_x"),
    ("GET", "/api/v1/submissions/sub_x/report"),
    ("POST", "/api/v1/submissions/sub_x/regrade"),
    ("GET", "/api/v1/keys"),
    ("POST", "/api/v1/keys"),
    ("DELETE", "/api/v1/keys/1"),
]


def test_health_needs_no_key(client):
    assert client.get("/healthz").json == {"status": "ok"}
    assert client.get("/api/v1/health").status_code == 200


@pytest.mark.parametrize("method,path", PROTECTED)
def test_no_key_is_401_in_the_error_shape(client, method, path):
    response = client.open(path, method=method)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"
    assert response.json["error"]["message"]


@pytest.mark.parametrize("token", ["nonsense", "gk_abc_def", "gk_000000000000_" + "x" * 43])
def test_unknown_keys_are_401(client, token):
    assert client.get("/api/v1/assessments", headers=auth(token)).status_code == 401


def test_a_tampered_secret_is_401(client, keys):
    token = keys["admin"]
    assert client.get("/api/v1/keys", headers=auth(token[:-2] + "zz")).status_code == 401


def test_revoked_key_stops_working(client, keys):
    victim = client.post("/api/v1/keys", json={"role": "recruiter"}, headers=auth(keys["admin"])).json
    assert client.get("/api/v1/submissions", headers=auth(victim["key"])).status_code == 200
    assert client.delete(f"/api/v1/keys/{victim['id']}", headers=auth(keys["admin"])).status_code == 204
    assert client.get("/api/v1/submissions", headers=auth(victim["key"])).status_code == 401


def test_x_api_key_header_works_too(client, keys):
    assert client.get("/api/v1/assessments", headers={"X-API-Key": keys["candidate"]}).status_code == 200


def test_keys_are_stored_hashed(app, keys):
    from sqlalchemy import select

    from grader.extensions import db
    from grader.models import ApiKey

    with app.app_context():
        stored = {k.secret_hash for k in db.session.scalars(select(ApiKey))}
    for token in keys.values():
        secret = token.split("_", 2)[2]
        assert secret not in stored
        assert all(secret not in h for h in stored)


def test_unknown_route_is_json_404(client):
    response = client.get("/api/v1/nope")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_wrong_method_is_json_405(client, keys):
    response = client.put("/api/v1/assessments", headers=auth(keys["admin"]))
    assert response.status_code == 405
    assert "error" in response.json
