"""Tokens: issued, verified, rotated, revoked, expired."""

import json
import os

import jwt
import pytest
from support import API, assert_error, b64, bearer, jwt_parts

PROTECTED = [("GET", "/users/me"), ("GET", "/users"), ("GET", "/projects"), ("POST", "/projects"), ("GET", "/users/1")]


def _raw(value: str):
    return int(value) if value.isdigit() else value


@pytest.mark.check("login-wrong-credentials")
def test_every_bad_credential_gets_the_same_401(api, world):
    user = world.a.admin
    wrong_password = api.http.post(f"{API}/auth/login", json={"tenant_id": _raw(world.a.id), "email": user.email, "password": "Wrong-password-1"})
    unknown_email = api.http.post(f"{API}/auth/login", json={"tenant_id": _raw(world.a.id), "email": "nobody@example.com", "password": user.password})
    wrong_tenant = api.http.post(f"{API}/auth/login", json={"tenant_id": _raw(world.b.id), "email": user.email, "password": user.password})
    for response in (wrong_password, unknown_email, wrong_tenant):
        assert_error(response, 401)
    assert wrong_password.json() == unknown_email.json() == wrong_tenant.json()


@pytest.mark.check("missing-token")
@pytest.mark.parametrize("method,path", PROTECTED)
def test_protected_endpoints_need_a_valid_token(api, method, path):
    for headers in ({}, bearer("garbage"), {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer"}):
        assert_error(api.http.request(method, f"{API}{path}", headers=headers, json={} if method == "POST" else None), 401)


@pytest.mark.check("refresh-rotation")
def test_refresh_rotates_and_refuses_the_old_token(api, world):
    user = api.add_user(world.a)  # its own user: a replay may revoke the whole chain
    old_refresh = user.refresh
    rotated = api.http.post(f"{API}/auth/refresh", json={"refresh_token": old_refresh})
    assert rotated.status_code == 200, rotated.text
    body = rotated.json()
    assert body["refresh_token"] != old_refresh
    assert api.http.get(f"{API}/users/me", headers=bearer(body["access_token"])).status_code == 200
    assert_error(api.http.post(f"{API}/auth/refresh", json={"refresh_token": old_refresh}), 401)


@pytest.mark.check("token-types")
def test_access_token_cannot_refresh(api, world):
    user = api.add_user(world.a)  # its own user: an app may revoke a misused token
    assert_error(api.http.post(f"{API}/auth/refresh", json={"refresh_token": user.access}), 401)


@pytest.mark.check("token-types")
def test_refresh_token_is_not_an_access_token(api, world):
    user = api.add_user(world.a)
    assert_error(api.http.get(f"{API}/users/me", headers=bearer(user.refresh)), 401)


@pytest.mark.check("logout-revokes")
def test_logout_revokes_the_refresh_token(api, world):
    user = api.add_user(world.b)  # its own user: logout may revoke the access token that made the call too
    assert api.http.post(f"{API}/auth/logout", json={"refresh_token": user.refresh}, headers=user.auth).status_code == 204
    assert_error(api.http.post(f"{API}/auth/refresh", json={"refresh_token": user.refresh}), 401)


@pytest.mark.expiry
@pytest.mark.check("access-expiry")
def test_expired_access_token_is_refused(strict, issued_at_start):
    issued = issued_at_start["access"]
    admin = issued.admin_or_fail()
    assert issued.fresh_status == 200, f"GET /users/me with a fresh access token answered {issued.fresh_status}"
    issued.wait_past(int(strict.env["ACCESS_TOKEN_TTL_SECONDS"]))
    assert_error(strict.http.get(f"{API}/users/me", headers=admin.auth), 401)


@pytest.mark.expiry
@pytest.mark.check("refresh-expiry")
def test_expired_refresh_token_is_refused(strict, issued_at_start):
    issued = issued_at_start["refresh"]
    admin = issued.admin_or_fail()
    issued.wait_past(int(strict.env["REFRESH_TOKEN_TTL_SECONDS"]))
    assert_error(strict.http.post(f"{API}/auth/refresh", json={"refresh_token": admin.refresh}), 401)


@pytest.mark.check("alg-none")
@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_alg_none_is_refused(api, world, alg):
    _, payload, _ = jwt_parts(world.a.admin.access)
    forged = f"{b64(json.dumps({'alg': alg, 'typ': 'JWT'}).encode())}.{b64(json.dumps(payload).encode())}."
    assert_error(api.http.get(f"{API}/users/me", headers=bearer(forged)), 401)


@pytest.mark.check("wrong-key")
def test_token_signed_with_another_key_is_refused(api, world):
    header, payload, _ = jwt_parts(world.a.admin.access)
    forged = jwt.encode(payload, os.environ["OTHER_SECRET_KEY"], algorithm="HS256", headers={"typ": header.get("typ", "JWT")})
    assert_error(api.http.get(f"{API}/users/me", headers=bearer(forged)), 401)


@pytest.mark.check("tampered-payload")
def test_token_with_a_changed_payload_is_refused(api, world):
    member = world.a_member
    admin_id = world.a.admin.id
    header, payload, signature = member.access.split(".")
    claims = json.loads(__import__("support").unb64(payload))
    for key, value in list(claims.items()):  # impersonate the admin wherever the member's id appears
        if str(value) == member.id:
            claims[key] = _raw(admin_id) if isinstance(value, int) else admin_id
        if key == "role":
            claims[key] = "admin"
    if "exp" in claims:
        claims["exp"] = int(claims["exp"]) + 3600
    forged = f"{header}.{b64(json.dumps(claims).encode())}.{signature}"
    assert_error(api.http.get(f"{API}/users/me", headers=bearer(forged)), 401)


@pytest.mark.check("deleted-user-token")
def test_deleted_users_tokens_stop_working(api, world):
    doomed = api.add_user(world.a)
    assert api.http.get(f"{API}/users/me", headers=doomed.auth).status_code == 200
    assert api.http.delete(f"{API}/users/{doomed.id}", headers=world.a.admin.auth).status_code == 204
    assert_error(api.http.get(f"{API}/users/me", headers=doomed.auth), 401)
    assert_error(api.http.post(f"{API}/auth/refresh", json={"refresh_token": doomed.refresh}), 401)
