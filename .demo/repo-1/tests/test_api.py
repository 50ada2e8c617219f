import json
import sqlite3

import jwt
import pytest

API = "/api/v1"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def error_code(resp):
    body = resp.get_json()
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"])
    return body["error"]["code"]


def test_health_openapi_and_json_errors(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    paths = client.get("/openapi.json").get_json()["paths"]
    assert "/api/v1/projects/{id}/tasks/{task_id}" in paths
    for resp in (client.get("/nope"), client.put(f"{API}/tenants"), client.get(f"{API}/projects/1/nope")):
        assert resp.status_code in (404, 405) and resp.is_json
        error_code(resp)


def test_tenant_signup_conflict_and_password_storage(client, app, make_tenant):
    tenant = make_tenant("acme", password="s3cret-pass")
    dup = client.post(f"{API}/tenants", json={
        "name": "acme", "admin_email": "x@y.z", "admin_password": "another-pass",
    })
    assert dup.status_code == 409 and error_code(dup)
    me = client.get(f"{API}/users/me", headers=tenant.headers).get_json()
    assert me == {"id": tenant.admin_id, "email": "admin@acme.test", "role": "admin",
                  "tenant_id": tenant.id}
    db_path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    stored = sqlite3.connect(db_path).execute("SELECT password_hash FROM users").fetchone()[0]
    assert "s3cret-pass" not in stored and stored.startswith("scrypt:")


def test_login_failures_are_indistinguishable(client, make_tenant):
    tenant = make_tenant()
    wrong_pw = client.post(f"{API}/auth/login", json={
        "tenant_id": tenant.id, "email": tenant.email, "password": "wrong-password"})
    unknown = client.post(f"{API}/auth/login", json={
        "tenant_id": tenant.id, "email": "ghost@acme.test", "password": "wrong-password"})
    assert wrong_pw.status_code == unknown.status_code == 401
    assert wrong_pw.get_json() == unknown.get_json()
    assert tenant.tokens["token_type"] == "bearer" and tenant.tokens["expires_in"] == 900


def test_refresh_rotation_replay_and_logout(client, make_tenant):
    tenant = make_tenant()
    old = tenant.tokens["refresh_token"]
    rotated = client.post(f"{API}/auth/refresh", json={"refresh_token": old})
    assert rotated.status_code == 200
    new = rotated.get_json()["refresh_token"]
    assert client.post(f"{API}/auth/refresh", json={"refresh_token": old}).status_code == 401
    # A refresh token is not an access token, and vice versa.
    assert client.get(f"{API}/users/me", headers=bearer(new)).status_code == 401
    access = tenant.tokens["access_token"]
    assert client.post(f"{API}/auth/refresh", json={"refresh_token": access}).status_code == 401
    # Replay revoked the whole chain, so log in again to test logout.
    login = client.post(f"{API}/auth/login", json={
        "tenant_id": tenant.id, "email": tenant.email, "password": "admin-password"}).get_json()
    out = client.post(f"{API}/auth/logout", headers=tenant.headers,
                      json={"refresh_token": login["refresh_token"]})
    assert out.status_code == 204
    again = client.post(f"{API}/auth/refresh", json={"refresh_token": login["refresh_token"]})
    assert again.status_code == 401


@pytest.mark.parametrize("forge", ["none", "other_key", "tampered"])
def test_forged_tokens_are_rejected(client, make_tenant, forge):
    tenant = make_tenant()
    claims = jwt.decode(tenant.tokens["access_token"], options={"verify_signature": False})
    if forge == "none":
        token = jwt.encode(claims, None, algorithm="none")
    elif forge == "other_key":
        token = jwt.encode(claims, "another-secret-key-of-enough-length", algorithm="HS256")
    else:
        header, _, signature = tenant.tokens["access_token"].split(".")
        payload = jwt.utils.base64url_encode(
            json.dumps({**claims, "sub": "999"}).encode()).decode()
        token = f"{header}.{payload}.{signature}"
    assert client.get(f"{API}/users/me", headers=bearer(token)).status_code == 401


def test_tenant_isolation(client, make_tenant):
    a, b = make_tenant("alpha"), make_tenant("beta")
    project = client.post(f"{API}/projects", headers=a.headers,
                          json={"name": "Secret", "tenant_id": b.id}).get_json()
    task = client.post(f"{API}/projects/{project['id']}/tasks", headers=a.headers,
                       json={"title": "t1"}).get_json()
    b_project = client.post(f"{API}/projects", headers=b.headers, json={"name": "B"}).get_json()
    assert client.get(f"{API}/projects", headers=b.headers).get_json()["total"] == 1
    pid, tid = project["id"], task["id"]
    for method, path in [
        ("get", f"/projects/{pid}"), ("patch", f"/projects/{pid}"),
        ("delete", f"/projects/{pid}"), ("get", f"/projects/{pid}/tasks"),
        ("post", f"/projects/{pid}/tasks"), ("patch", f"/projects/{pid}/tasks/{tid}"),
        ("delete", f"/projects/{pid}/tasks/{tid}"),
        ("patch", f"/projects/{b_project['id']}/tasks/{tid}"),
        ("get", f"/users/{a.admin_id}"), ("delete", f"/users/{a.admin_id}"),
    ]:
        resp = getattr(client, method)(API + path, headers=b.headers, json={"title": "x"})
        assert resp.status_code == 404, (method, path)
        assert error_code(resp) == "not_found"
    foreign = client.post(f"{API}/projects/{b_project['id']}/tasks", headers=b.headers,
                          json={"title": "x", "assignee_id": a.admin_id})
    assert foreign.status_code == 422


def test_member_permissions(client, make_tenant, make_member):
    tenant = make_tenant()
    member = make_member(tenant)
    assert client.get(f"{API}/users", headers=member.headers).status_code == 403
    assert client.post(f"{API}/users", headers=member.headers,
                       json={"email": "z@z.z", "password": "password1"}).status_code == 403
    assert client.patch(f"{API}/users/{member.id}", headers=member.headers,
                        json={"role": "admin"}).status_code == 403
    assert client.patch(f"{API}/users/{member.id}", headers=member.headers,
                        json={"password": "new-password"}).status_code == 200
    project = client.post(f"{API}/projects", headers=tenant.headers, json={"name": "p"})
    pid = project.get_json()["id"]
    assert client.delete(f"{API}/projects/{pid}", headers=member.headers).status_code == 403
    # Deleting the member invalidates its tokens.
    assert client.delete(f"{API}/users/{member.id}", headers=tenant.headers).status_code == 204
    assert client.get(f"{API}/users/me", headers=member.headers).status_code == 401


def test_validation_and_pagination(client, make_tenant):
    tenant = make_tenant()
    h = tenant.headers
    bad_json = client.post(f"{API}/projects", headers={**h, "Content-Type": "application/json"},
                           data="{not json")
    assert bad_json.status_code == 400 and error_code(bad_json)
    assert client.post(f"{API}/projects", headers=h, json=[1]).status_code == 400
    for bad_id in ("abc", "0", "99999999999999999999999"):
        assert client.get(f"{API}/projects/{bad_id}", headers=h).status_code == 404
    assert client.post(f"{API}/projects", headers=h, json={"name": "x" * 101}).status_code == 422
    for i in range(3):
        client.post(f"{API}/projects", headers=h, json={"name": f"p{i}"})
    page = client.get(f"{API}/projects?per_page=500", headers=h).get_json()
    assert page["per_page"] == 100 and page["total"] == 3
    assert [p["name"] for p in page["items"]] == ["p2", "p1", "p0"]
    pid = page["items"][0]["id"]
    assert client.post(f"{API}/projects/{pid}/tasks", headers=h,
                       json={"title": "t", "status": "later"}).status_code == 422
    assert client.get(f"{API}/projects/{pid}/tasks?status=done", headers=h).status_code == 200
    assert client.delete(f"{API}/projects/{pid}", headers=h).status_code == 204
    assert client.get(f"{API}/projects/{pid}/tasks", headers=h).status_code == 404


def test_rate_limit_is_per_tenant(client, app, make_tenant):
    app.extensions["rate_limiter"].limit = 5
    a, b = make_tenant("alpha"), make_tenant("beta")
    statuses = [client.get(f"{API}/users/me", headers=a.headers).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    limited = client.get(f"{API}/projects/123456", headers=a.headers)
    assert limited.status_code == 429 and error_code(limited) == "rate_limited"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert client.get(f"{API}/users/me", headers=b.headers).status_code == 200


def test_refuses_to_start_without_secret(monkeypatch):
    monkeypatch.delenv("JWT_SECRET_KEY", raising=False)
    from app import create_app

    with pytest.raises(RuntimeError):
        create_app()
