import pytest

from tests.factories import make_key


@pytest.fixture
def keys(app, client):
    """One live key per role; the candidate's is a receipt (candidates get no other key)."""
    with app.app_context():
        tokens = {role: make_key(role) for role in ("recruiter", "interviewer", "admin")}
    from tests.api.test_submissions import _body
    from tests.factories import auth

    response = client.post("/api/v1/submissions", json=_body(), headers=auth(tokens["recruiter"]))
    assert response.status_code == 202, response.json
    tokens["candidate"] = response.json["receipt"]
    return tokens


@pytest.fixture
def graded(app):
    from tests.factories import graded_submission

    with app.app_context():
        return graded_submission().public_id


@pytest.fixture
def submit(client):
    """POST a valid submission with ``token``; return the JSON answer."""

    def _submit(token):
        from tests.api.test_submissions import _body
        from tests.factories import auth

        response = client.post("/api/v1/submissions", json=_body(), headers=auth(token))
        assert response.status_code == 202, response.json
        return response.json

    return _submit
