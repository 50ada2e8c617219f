"""Endpoints, status codes and shapes of the contract."""

import re
from datetime import datetime

import pytest
from support import API, assert_error, ids, items, new_password, unique


@pytest.mark.check("health")
def test_health_answers_ok(api):
    response = api.http.get("/healthz")
    assert response.status_code == 200
    assert response.json().get("status") == "ok"


@pytest.mark.check("tenant-signup")
def test_signup_creates_tenant_and_admin(api):
    name, email = unique("acme"), f"{unique('owner')}@example.com"
    response = api.http.post(f"{API}/tenants", json={"name": name, "admin_email": email, "admin_password": new_password()})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["name"] == name and body["id"] is not None
    assert body["admin"]["email"] == email and body["admin"]["role"] == "admin" and body["admin"]["id"] is not None


@pytest.mark.check("tenant-signup")
def test_duplicate_tenant_name_is_409(api):
    name = unique("dup")
    first = api.http.post(f"{API}/tenants", json={"name": name, "admin_email": "a@example.com", "admin_password": new_password()})
    assert first.status_code == 201
    again = api.http.post(f"{API}/tenants", json={"name": name, "admin_email": "b@example.com", "admin_password": new_password()})
    assert_error(again, 409)


@pytest.mark.check("login-shape")
def test_login_answers_the_token_pair(api):
    tenant = api.signup()  # its own tenant: a login may end the user's earlier sessions
    user = tenant.admin
    response = api.http.post(f"{API}/auth/login", json={"tenant_id": _raw(tenant.id), "email": user.email, "password": user.password})
    assert response.status_code == 200
    body = response.json()
    assert isinstance(body["access_token"], str) and isinstance(body["refresh_token"], str)
    assert body["token_type"].lower() == "bearer"
    assert int(body["expires_in"]) == int(api.env["ACCESS_TOKEN_TTL_SECONDS"])
    me = api.http.get(f"{API}/users/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert str(me.json()["id"]) == user.id and str(me.json()["tenant_id"]) == tenant.id and me.json()["role"] == "admin"


@pytest.mark.check("users-crud")
def test_admin_manages_users(api):
    tenant = api.signup()
    admin = tenant.admin.auth
    email = f"{unique('u')}@example.com"
    created = api.http.post(f"{API}/users", json={"email": email, "password": new_password()}, headers=admin)
    assert created.status_code == 201, created.text
    user = created.json()
    assert user["email"] == email and user["role"] == "member"  # role defaults to member
    assert_error(api.http.post(f"{API}/users", json={"email": email, "password": new_password()}, headers=admin), 409)
    assert str(user["id"]) in ids(api.http.get(f"{API}/users", headers=admin))
    assert api.http.get(f"{API}/users/{user['id']}", headers=admin).json()["email"] == email
    patched = api.http.patch(f"{API}/users/{user['id']}", json={"role": "admin"}, headers=admin)
    assert patched.status_code == 200 and patched.json()["role"] == "admin"
    assert api.http.delete(f"{API}/users/{user['id']}", headers=admin).status_code == 204
    assert_error(api.http.get(f"{API}/users/{user['id']}", headers=admin), 404)


@pytest.mark.check("projects-crud")
def test_projects_lifecycle(api):
    tenant = api.signup()
    auth = tenant.admin.auth
    created = api.http.post(f"{API}/projects", json={"name": "Apollo", "description": "to the moon"}, headers=auth)
    assert created.status_code == 201, created.text
    project = created.json()
    assert project["name"] == "Apollo" and project["description"] == "to the moon"
    assert str(project["created_by"]) == tenant.admin.id
    datetime.fromisoformat(project["created_at"].replace("Z", "+00:00"))
    assert api.http.get(f"{API}/projects/{project['id']}", headers=auth).json()["name"] == "Apollo"
    patched = api.http.patch(f"{API}/projects/{project['id']}", json={"name": "Artemis"}, headers=auth)
    assert patched.status_code == 200 and patched.json()["name"] == "Artemis"
    assert str(project["id"]) in ids(api.http.get(f"{API}/projects", headers=auth))
    bare = api.http.post(f"{API}/projects", json={"name": "No description"}, headers=auth)
    assert bare.status_code == 201 and bare.json().get("description") in (None, "")
    assert api.http.delete(f"{API}/projects/{project['id']}", headers=auth).status_code == 204
    assert_error(api.http.get(f"{API}/projects/{project['id']}", headers=auth), 404)


@pytest.mark.check("tasks-crud")
def test_tasks_lifecycle(api):
    tenant = api.signup()
    member = api.add_user(tenant)
    auth = tenant.admin.auth
    project = api.project(tenant.admin)
    base = f"{API}/projects/{project['id']}/tasks"
    first = api.http.post(base, json={"title": "Write spec"}, headers=auth)
    assert first.status_code == 201, first.text
    task = first.json()
    assert task["status"] == "todo" and task["title"] == "Write spec"
    assert str(task["project_id"]) == str(project["id"]) and task.get("assignee_id") is None
    second = api.http.post(base, json={"title": "Ship", "status": "doing", "assignee_id": _raw(member.id)}, headers=auth)
    assert second.status_code == 201 and str(second.json()["assignee_id"]) == member.id
    assert len(items(api.http.get(base, headers=auth))) == 2
    doing = items(api.http.get(f"{base}?status=doing", headers=auth))
    assert [str(t["id"]) for t in doing] == [str(second.json()["id"])]
    patched = api.http.patch(f"{base}/{task['id']}", json={"status": "done"}, headers=auth)
    assert patched.status_code == 200 and patched.json()["status"] == "done"
    assert api.http.delete(f"{base}/{task['id']}", headers=auth).status_code == 204
    assert str(task["id"]) not in ids(api.http.get(base, headers=auth))


@pytest.mark.check("tasks-crud")
def test_deleting_a_project_removes_its_task_routes(api):
    tenant = api.signup()
    project = api.project(tenant.admin)
    task = api.task(tenant.admin, project["id"])
    assert api.http.delete(f"{API}/projects/{project['id']}", headers=tenant.admin.auth).status_code == 204
    base = f"{API}/projects/{project['id']}/tasks"
    assert_error(api.http.get(base, headers=tenant.admin.auth), 404)
    assert_error(api.http.patch(f"{base}/{task['id']}", json={"title": "x"}, headers=tenant.admin.auth), 404)


@pytest.mark.check("error-shape")
def test_errors_share_one_shape(api, world):
    assert_error(api.http.get(f"{API}/users/me"), 401)
    assert_error(api.http.get(f"{API}/projects/987654321", headers=world.a.admin.auth), 404)
    assert_error(api.http.post(f"{API}/projects", json={}, headers=world.a.admin.auth), 422)
    assert_error(api.http.get(f"{API}/users", headers=world.a_member.auth), 403)


@pytest.mark.check("pagination")
def test_lists_are_paginated(api):
    tenant = api.signup()
    project = api.project(tenant.admin)
    for _ in range(3):
        api.task(tenant.admin, project["id"])
    auth, base = tenant.admin.auth, f"{API}/projects/{project['id']}/tasks"
    page1 = api.http.get(f"{base}?page=1&per_page=2", headers=auth).json()
    assert isinstance(page1, dict), "a list must answer {items, page, per_page, total}"
    assert (page1["page"], page1["per_page"], page1["total"], len(page1["items"])) == (1, 2, 3, 2)
    page2 = api.http.get(f"{base}?page=2&per_page=2", headers=auth).json()
    assert len(page2["items"]) == 1
    assert {t["id"] for t in page1["items"]}.isdisjoint({t["id"] for t in page2["items"]})
    past = api.http.get(f"{base}?page=9&per_page=2", headers=auth)
    assert past.status_code == 200 and past.json()["items"] == []
    default = api.http.get(base, headers=auth).json()
    assert default["page"] == 1 and default["per_page"] == 20


@pytest.mark.check("pagination")
def test_projects_are_listed_newest_first(api):
    tenant = api.signup()
    created = [str(api.project(tenant.admin, f"p{i}")["id"]) for i in range(3)]
    body = api.http.get(f"{API}/projects?per_page=100", headers=tenant.admin.auth).json()
    assert isinstance(body, dict), "a list must answer {items, page, per_page, total}"
    listed = [str(p["id"]) for p in body["items"] if str(p["id"]) in created]
    assert listed == created[::-1]


@pytest.mark.check("pagination")
def test_per_page_is_capped_at_100(api, world):
    response = api.http.get(f"{API}/projects?per_page=1000", headers=world.a.admin.auth)
    if response.status_code == 200:
        assert response.json()["per_page"] <= 100
    else:
        assert_error(response, 422)


@pytest.mark.check("pagination")
def test_users_and_tasks_lists_are_paginated_too(api, world):
    for path in (f"{API}/users", f"{API}/projects/{world.a_project['id']}/tasks"):
        body = api.http.get(f"{path}?per_page=1", headers=world.a.admin.auth).json()
        assert isinstance(body, dict) and {"items", "page", "per_page", "total"} <= set(body), path
        assert len(body["items"]) <= 1 and body["total"] >= 1


REQUIRED_PATHS = {
    "/tenants", "/auth/login", "/auth/refresh", "/auth/logout", "/users/me", "/users", "/users/{}",
    "/projects", "/projects/{}", "/projects/{}/tasks", "/projects/{}/tasks/{}",
}


@pytest.mark.check("openapi")
def test_openapi_document_names_the_paths(api):
    # The contract lists it under /api/v1; a document at the root is accepted too.
    response = api.http.get(f"{API}/openapi.json")
    if response.status_code == 404:
        response = api.http.get("/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert str(doc.get("openapi", "")).startswith("3")
    servers = [str(s.get("url", "")).rstrip("/") for s in doc.get("servers", []) if isinstance(s, dict)]
    relative = any(url.endswith("/api/v1") for url in servers)
    found = set()
    for path in doc.get("paths", {}):
        normal = re.sub(r"\{[^}]*\}", "{}", path.rstrip("/"))
        if normal.startswith("/api/v1"):
            found.add(normal[len("/api/v1"):])
        elif relative:
            found.add(normal)
    missing = REQUIRED_PATHS - found
    assert not missing, f"paths missing from the OpenAPI document: {sorted(missing)}"


@pytest.mark.check("unknown-routes-json")
def test_unknown_route_is_a_json_404(api):
    assert_error(api.http.get(f"{API}/no-such-thing"), 404)


@pytest.mark.check("unknown-routes-json")
def test_wrong_method_is_a_json_405(api):
    assert_error(api.http.delete(f"{API}/tenants"), 405)


def _raw(value: str):
    return int(value) if value.isdigit() else value
