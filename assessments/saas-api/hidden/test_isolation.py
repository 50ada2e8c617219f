"""Tenant isolation, probed over every resource path. Victims are fresh objects of tenant A."""

import pytest
from support import API, assert_error, ids, items, new_password, unique


def _raw(value):
    value = str(value)
    return int(value) if value.isdigit() else value


@pytest.fixture
def victim(api, world):
    """Fresh objects of tenant A: a member, a project and a task (a leak may destroy them)."""
    member = api.add_user(world.a)
    project = api.project(world.a.admin)
    task = api.task(world.a.admin, project["id"])
    return {"user": member, "project": project, "task": task}


@pytest.mark.check("iso-list")
def test_lists_never_show_another_tenants_rows(api, world):
    b = world.b.admin.auth
    assert world.a.admin.id not in ids(api.http.get(f"{API}/users", headers=b))
    assert world.a_member.id not in ids(api.http.get(f"{API}/users?per_page=100", headers=b))
    assert str(world.a_project["id"]) not in ids(api.http.get(f"{API}/projects?per_page=100", headers=b))
    assert str(world.a_task["id"]) not in ids(api.http.get(f"{API}/projects/{world.b_project['id']}/tasks", headers=b))
    a = world.a.admin.auth
    assert str(world.b_project["id"]) not in ids(api.http.get(f"{API}/projects?per_page=100", headers=a))


@pytest.mark.check("iso-get")
def test_reading_another_tenants_objects_is_404(api, world, victim):
    b = world.b.admin.auth
    assert_error(api.http.get(f"{API}/users/{victim['user'].id}", headers=b), 404)
    assert_error(api.http.get(f"{API}/projects/{victim['project']['id']}", headers=b), 404)
    assert_error(api.http.get(f"{API}/projects/{victim['project']['id']}/tasks", headers=b), 404)


@pytest.mark.check("iso-get")
def test_members_of_another_tenant_get_404_too(api, world, victim):
    assert_error(api.http.get(f"{API}/projects/{victim['project']['id']}", headers=world.b_member.auth), 404)


@pytest.mark.check("iso-patch")
def test_changing_another_tenants_objects_is_404(api, world, victim):
    b = world.b.admin.auth
    pid, tid = victim["project"]["id"], victim["task"]["id"]
    assert_error(api.http.patch(f"{API}/users/{victim['user'].id}", json={"role": "admin"}, headers=b), 404)
    assert_error(api.http.patch(f"{API}/projects/{pid}", json={"name": "pwned"}, headers=b), 404)
    assert_error(api.http.patch(f"{API}/projects/{pid}/tasks/{tid}", json={"title": "pwned"}, headers=b), 404)
    a = world.a.admin.auth
    assert api.http.get(f"{API}/users/{victim['user'].id}", headers=a).json()["role"] == "member"
    assert api.http.get(f"{API}/projects/{pid}", headers=a).json()["name"] == victim["project"]["name"]
    assert "pwned" not in {t["title"] for t in items(api.http.get(f"{API}/projects/{pid}/tasks", headers=a))}


@pytest.mark.check("iso-delete")
def test_deleting_another_tenants_objects_is_404(api, world, victim):
    b = world.b.admin.auth
    pid, tid = victim["project"]["id"], victim["task"]["id"]
    assert_error(api.http.delete(f"{API}/projects/{pid}/tasks/{tid}", headers=b), 404)
    assert_error(api.http.delete(f"{API}/projects/{pid}", headers=b), 404)
    assert_error(api.http.delete(f"{API}/users/{victim['user'].id}", headers=b), 404)
    a = world.a.admin.auth
    assert api.http.get(f"{API}/projects/{pid}", headers=a).status_code == 200
    assert str(tid) in ids(api.http.get(f"{API}/projects/{pid}/tasks", headers=a))
    assert api.http.get(f"{API}/users/{victim['user'].id}", headers=a).status_code == 200


@pytest.mark.check("iso-nested-task")
def test_foreign_task_under_own_project_is_404(api, world, victim):
    b = world.b.admin.auth
    own = world.b_project["id"]
    tid = victim["task"]["id"]
    assert_error(api.http.patch(f"{API}/projects/{own}/tasks/{tid}", json={"title": "pwned"}, headers=b), 404)
    assert_error(api.http.delete(f"{API}/projects/{own}/tasks/{tid}", headers=b), 404)
    tasks = items(api.http.get(f"{API}/projects/{victim['project']['id']}/tasks", headers=world.a.admin.auth))
    assert [t["title"] for t in tasks if str(t["id"]) == str(tid)] == [victim["task"]["title"]]


@pytest.mark.check("iso-nested-task")
def test_own_task_under_the_wrong_own_project_is_404(api, world, victim):
    a = world.a.admin.auth
    other_project = api.project(world.a.admin)
    tid = victim["task"]["id"]
    assert_error(api.http.patch(f"{API}/projects/{other_project['id']}/tasks/{tid}", json={"status": "done"}, headers=a), 404)


@pytest.mark.check("iso-filter")
def test_filters_and_query_parameters_stay_in_the_tenant(api, world):
    b = world.b.admin.auth
    todo = items(api.http.get(f"{API}/projects/{world.b_project['id']}/tasks?status=todo", headers=b))
    assert str(world.a_task["id"]) not in {str(t["id"]) for t in todo}
    for path in ("/projects", "/users"):  # a query parameter never adds rows to what the caller already sees
        plain = ids(api.http.get(f"{API}{path}?per_page=100", headers=b))
        widened = ids(api.http.get(f"{API}{path}?tenant_id={world.a.id}&per_page=100", headers=b))
        assert widened <= plain, f"?tenant_id= added rows to {path}"


@pytest.mark.check("iso-mass-assignment")
def test_tenant_id_in_a_project_body_is_ignored(api, world):
    b = world.b.admin.auth
    created = api.http.post(f"{API}/projects", json={"name": unique("sneaky"), "tenant_id": _raw(world.a.id)}, headers=b)
    assert created.status_code in (201, 422), created.text
    if created.status_code == 201:
        pid = created.json()["id"]  # it must still be the caller's: readable and listed in tenant B
        assert api.http.get(f"{API}/projects/{pid}", headers=b).status_code == 200
        assert str(pid) in ids(api.http.get(f"{API}/projects?per_page=100", headers=b))


@pytest.mark.check("iso-mass-assignment")
def test_tenant_id_in_a_user_body_is_ignored(api, world):
    b = world.b.admin.auth
    body = {"email": f"{unique('m')}@example.com", "password": new_password(), "tenant_id": _raw(world.a.id)}
    created = api.http.post(f"{API}/users", json=body, headers=b)
    assert created.status_code in (201, 422), created.text
    if created.status_code == 201:
        uid = created.json()["id"]
        assert api.http.get(f"{API}/users/{uid}", headers=b).status_code == 200
        assert str(uid) in ids(api.http.get(f"{API}/users?per_page=100", headers=b))


@pytest.mark.check("iso-mass-assignment")
def test_tenant_header_is_ignored(api, world):
    headers = {**world.b.admin.auth, "X-Tenant-Id": world.a.id, "X-Tenant": world.a.id}
    plain = ids(api.http.get(f"{API}/projects?per_page=100", headers=world.b.admin.auth))
    assert ids(api.http.get(f"{API}/projects?per_page=100", headers=headers)) == plain
    assert str(api.http.get(f"{API}/users/me", headers=headers).json()["tenant_id"]) == world.b.id


@pytest.mark.check("iso-assignee")
def test_assignee_from_another_tenant_is_422(api, world):
    b = world.b.admin.auth
    base = f"{API}/projects/{world.b_project['id']}/tasks"
    assert_error(api.http.post(base, json={"title": "x", "assignee_id": _raw(world.a_member.id)}, headers=b), 422)
    task = api.task(world.b.admin, world.b_project["id"])
    assert_error(api.http.patch(f"{base}/{task['id']}", json={"assignee_id": _raw(world.a_member.id)}, headers=b), 422)
