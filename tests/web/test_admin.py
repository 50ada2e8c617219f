"""People page: only admins manage staff accounts; changes end sessions; no self-demotion."""

from __future__ import annotations

import pytest

from tests.web.conftest import PASSWORD, csrf_of, login


def _user_id(app, email: str) -> int:
    from grader.services import users

    with app.app_context():
        return next(u.id for u in users.list_users() if u.email == email)


@pytest.mark.parametrize("role", ["recruiter", "interviewer"])
def test_only_admins_reach_the_people_page(app, make_staff, role):
    client = make_staff(role)
    token = csrf_of(client.get("/dashboard/").get_data(as_text=True))
    assert client.get("/admin/users").status_code == 403
    created = client.post("/admin/users", data={"email": "x@example.com", "role": "admin", "password": PASSWORD,
                                                 "csrf_token": token})
    assert created.status_code == 403
    assert client.post(f"/admin/users/{_user_id(app, client.user_email)}",
                       data={"role": "admin", "active": "yes", "csrf_token": token}).status_code == 403


def test_anonymous_posts_are_sent_to_sign_in(client):
    assert "/login" in client.post("/admin/users", data={}).headers.get("Location", "") or \
        client.post("/admin/users", data={}).status_code == 400  # CSRF runs first for forms without a token


def test_an_admin_creates_a_recruiter_who_can_sign_in(app, make_staff):
    admin = make_staff("admin")
    page = admin.get("/admin/users").get_data(as_text=True)
    assert "admin1@example.com" in page
    response = admin.post("/admin/users", data={"email": "Rita@Example.com", "name": "Rita", "role": "recruiter",
                                                 "password": "a-long-enough-pass", "csrf_token": csrf_of(page)})
    assert response.status_code == 302
    assert "Created recruiter rita@example.com" in admin.get("/admin/users").get_data(as_text=True)
    rita = app.test_client()
    assert login(rita, "rita@example.com", "a-long-enough-pass").status_code == 302
    assert rita.get("/dashboard/").status_code == 200
    assert rita.get("/admin/users").status_code == 403


@pytest.mark.parametrize(("fields", "message"), [
    ({"email": "short@example.com", "role": "recruiter", "password": "eleven-char"}, "at least 12"),
    ({"email": "not-an-email", "role": "recruiter", "password": "a-long-enough-pass"}, "e-mail"),
    ({"email": "admin1@example.com", "role": "recruiter", "password": "a-long-enough-pass"}, "already has an account"),
    ({"email": "c@example.com", "role": "candidate", "password": "a-long-enough-pass"}, "Not a valid choice"),
])
def test_bad_accounts_are_refused_with_a_message(app, make_staff, fields, message):
    admin = make_staff("admin")
    page = admin.get("/admin/users").get_data(as_text=True)
    response = admin.post("/admin/users", data={**fields, "csrf_token": csrf_of(page)})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert login(app.test_client(), fields["email"], fields["password"]).status_code == 200  # not signed in


def test_an_admin_changes_a_role_deactivates_and_sets_a_password(app, make_staff):
    admin = make_staff("admin")
    ian = make_staff("interviewer", "ian@example.com")
    token = csrf_of(admin.get("/admin/users").get_data(as_text=True))
    ian_id = _user_id(app, "ian@example.com")

    assert admin.post(f"/admin/users/{ian_id}", data={"role": "admin", "active": "yes", "csrf_token": token}).status_code == 302
    assert ian.get("/dashboard/").status_code == 302  # the change ended his session
    assert login(ian, "ian@example.com").status_code == 302 and ian.get("/admin/users").status_code == 200

    admin.post(f"/admin/users/{ian_id}", data={"role": "admin", "active": "yes", "password": "a-brand-new-password",
                                               "csrf_token": token})
    assert login(app.test_client(), "ian@example.com").status_code == 200
    assert login(app.test_client(), "ian@example.com", "a-brand-new-password").status_code == 302

    admin.post(f"/admin/users/{ian_id}", data={"role": "admin", "active": "no", "csrf_token": token})
    assert login(app.test_client(), "ian@example.com", "a-brand-new-password").status_code == 200
    assert "deactivated" in admin.get("/admin/users").get_data(as_text=True)


def test_an_admin_cannot_demote_or_deactivate_themselves(app, make_staff):
    admin = make_staff("admin", "root@example.com")
    token = csrf_of(admin.get("/admin/users").get_data(as_text=True))
    me = _user_id(app, "root@example.com")
    for data in ({"role": "recruiter", "active": "yes"}, {"role": "admin", "active": "no"}):
        response = admin.post(f"/admin/users/{me}", data={**data, "csrf_token": token}, follow_redirects=True)
        assert "you cannot demote or deactivate your own account" in response.get_data(as_text=True)
    saved = admin.post(f"/admin/users/{me}", data={"role": "admin", "active": "yes", "csrf_token": token}, follow_redirects=True)
    assert "Nothing changed for root@example.com" in saved.get_data(as_text=True)  # still signed in
    assert admin.get("/admin/users").status_code == 200


def test_admin_posts_without_csrf_token_are_refused(app, make_staff):
    admin = make_staff("admin")
    assert admin.post("/admin/users", data={"email": "x@example.com", "role": "recruiter",
                                            "password": "a-long-enough-pass"}).status_code == 400
    me = _user_id(app, admin.user_email)
    assert admin.post(f"/admin/users/{me}", data={"role": "admin", "active": "no"}).status_code == 400
