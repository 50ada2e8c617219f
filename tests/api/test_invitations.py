"""POST /api/v1/invitations: the dashboard's operation for machines (applicant-tracking systems)."""

from tests.factories import auth


def _body(**extra):
    return {"assessment": "notes-api", "candidate_name": "Ada Lovelace", "candidate_email": "Ada@Example.com", **extra}


def test_a_recruiter_invites_and_gets_the_link_once(client, keys):
    created = client.post("/api/v1/invitations", json=_body(attempts_allowed=2), headers=auth(keys["recruiter"]))
    assert created.status_code == 201, created.json
    body = created.json
    assert body["url"].startswith("http://localhost/i/") and len(body["url"].rsplit("/", 1)[1]) >= 40
    assert body["candidate"]["email"] == "ada@example.com" and body["attempts_allowed"] == 2 and body["status"] == "open"
    shown = client.get(f"/api/v1/invitations/{body['id']}", headers=auth(keys["recruiter"])).json
    assert "url" not in shown  # only its hash is stored


def test_the_link_opens_the_portal(client, keys):
    url = client.post("/api/v1/invitations", json=_body(), headers=auth(keys["recruiter"])).json["url"]
    assert client.get(url.replace("http://localhost", "")).status_code == 200


def test_a_receipt_cannot_invite(client, keys):
    assert client.post("/api/v1/invitations", json=_body(), headers=auth(keys["candidate"])).status_code == 403


def test_an_unknown_assessment_or_a_past_deadline_is_422(client, keys):
    assert client.post("/api/v1/invitations", json=_body(assessment="nope"), headers=auth(keys["recruiter"])).status_code == 422
    past = _body(deadline="2020-01-01T00:00:00Z")
    assert client.post("/api/v1/invitations", json=past, headers=auth(keys["recruiter"])).status_code == 422


def test_a_revoked_invitation_link_is_dead(client, keys):
    created = client.post("/api/v1/invitations", json=_body(), headers=auth(keys["recruiter"])).json
    assert client.delete(f"/api/v1/invitations/{created['id']}", headers=auth(keys["recruiter"])).status_code == 204
    assert client.get(f"/api/v1/invitations/{created['id']}", headers=auth(keys["recruiter"])).json["status"] == "revoked"
    assert client.get(created["url"].replace("http://localhost", "")).status_code == 410


def test_invitation_links_are_stored_hashed(app, client, keys):
    from sqlalchemy import select

    from grader.extensions import db
    from grader.models import Invitation

    url = client.post("/api/v1/invitations", json=_body(), headers=auth(keys["recruiter"])).json["url"]
    token = url.rsplit("/", 1)[1]
    with app.app_context():
        stored = db.session.scalars(select(Invitation)).one()
        assert token not in (stored.token_hash, stored.public_id)
