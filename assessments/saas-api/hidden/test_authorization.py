"""Roles: what a member may not do."""

import pytest
from support import API, assert_error, new_password, unique


@pytest.mark.check("member-admin-actions")
def test_member_cannot_list_users(api, world):
    assert_error(api.http.get(f"{API}/users", headers=world.a_member.auth), 403)


@pytest.mark.check("member-admin-actions")
def test_member_cannot_create_users(api, world):
    body = {"email": f"{unique('x')}@example.com", "password": new_password(), "role": "admin"}
    assert_error(api.http.post(f"{API}/users", json=body, headers=world.a_member.auth), 403)


@pytest.mark.check("member-admin-actions")
def test_member_cannot_delete_users(api, world):
    victim = api.add_user(world.a)
    assert_error(api.http.delete(f"{API}/users/{victim.id}", headers=world.a_member.auth), 403)
    assert api.http.get(f"{API}/users/{victim.id}", headers=world.a.admin.auth).status_code == 200


@pytest.mark.check("member-admin-actions")
def test_member_cannot_change_another_users_role(api, world):
    other = api.add_user(world.a)
    assert_error(api.http.patch(f"{API}/users/{other.id}", json={"role": "admin"}, headers=world.a_member.auth), 403)
    assert api.http.get(f"{API}/users/{other.id}", headers=world.a.admin.auth).json()["role"] == "member"


@pytest.mark.check("self-escalation")
def test_member_cannot_make_itself_admin(api, world):
    member = api.add_user(world.b)
    response = api.http.patch(f"{API}/users/{member.id}", json={"role": "admin"}, headers=member.auth)
    assert_error(response, 403)
    api.login(member)  # a role change would show at the latest on the next login
    assert api.http.get(f"{API}/users/me", headers=member.auth).json()["role"] == "member"
    assert_error(api.http.get(f"{API}/users", headers=member.auth), 403)


@pytest.mark.check("member-user-access")
def test_member_reads_itself_but_not_others(api, world):
    member = world.a_member
    assert api.http.get(f"{API}/users/{member.id}", headers=member.auth).status_code == 200
    assert_error(api.http.get(f"{API}/users/{world.a.admin.id}", headers=member.auth), 403, 404)


@pytest.mark.check("member-user-access")
def test_member_changes_only_its_own_password(api, world):
    member = api.add_user(world.a)
    other = api.add_user(world.a)
    new = new_password()
    changed = api.http.patch(f"{API}/users/{member.id}", json={"password": new}, headers=member.auth)
    assert changed.status_code == 200, changed.text
    member.password = new
    api.login(member)
    assert_error(api.http.patch(f"{API}/users/{other.id}", json={"password": new_password()}, headers=member.auth), 403, 404)
    api.login(other)  # the other user's password is unchanged


@pytest.mark.check("project-delete-rights")
def test_member_cannot_delete_someone_elses_project(api, world):
    project = api.project(world.a.admin)
    assert_error(api.http.delete(f"{API}/projects/{project['id']}", headers=world.a_member.auth), 403)
    assert api.http.get(f"{API}/projects/{project['id']}", headers=world.a.admin.auth).status_code == 200


@pytest.mark.check("project-delete-rights")
def test_creator_and_admin_may_delete(api, world):
    own = api.project(world.a_member)
    assert api.http.delete(f"{API}/projects/{own['id']}", headers=world.a_member.auth).status_code == 204
    members = api.project(world.a_member)
    assert api.http.delete(f"{API}/projects/{members['id']}", headers=world.a.admin.auth).status_code == 204
