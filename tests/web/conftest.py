"""Page tests through Flask's test client: real forms with their CSRF tokens, one client per person."""

from __future__ import annotations

import re

import pytest

PASSWORD = "correct-horse-battery-staple"
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = _CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def login(client, email: str, password: str = PASSWORD):
    token = csrf_of(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


@pytest.fixture
def make_staff(app):
    """make_staff(role) -> a test client signed in as a new account of that role (its .user_email is set)."""
    from grader.services.users import NewUser, create_user

    count = [0]

    def _make(role: str, email: str | None = None):
        count[0] += 1
        email = email or f"{role}{count[0]}@example.com"
        with app.app_context():
            create_user(NewUser(email=email, role=role, password=PASSWORD, name=f"{role.title()} {count[0]}"))
        client = app.test_client()
        response = login(client, email)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        client.user_email = email
        return client

    return _make


@pytest.fixture
def invite(app):
    """invite(assessment="notes-api", **fields) -> (invitation public id, link token), made through the service."""
    from grader.services import invitations

    def _invite(assessment: str = "notes-api", *, name="Ada Lovelace", email="ada@example.com", deadline=None, attempts=3):
        with app.app_context():
            issued = invitations.invite(invitations.NewInvitation(
                assessment, name, email, deadline or invitations.default_deadline(), attempts))
            return issued.invitation.public_id, issued.token

    return _invite
