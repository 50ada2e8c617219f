"""The pages on PostgreSQL, the production database: the same queries must hold there as on SQLite."""

from __future__ import annotations

import pytest

from tests.web import dashboard_builders, evidence_builders
from tests.web.conftest import csrf_of

pytestmark = pytest.mark.postgres


@pytest.fixture
def app(tmp_path, monkeypatch, postgres):
    """The app on a fresh, migrated PostgreSQL database (replaces the SQLite fixture here)."""
    from flask_migrate import upgrade

    from grader import create_app
    from tests.conftest import grader_env

    for key, value in grader_env(tmp_path, DATABASE_URL=postgres.create_database()).items():
        monkeypatch.setenv(key, value)
    app = create_app()
    with app.app_context():
        upgrade()
    yield app


def test_dashboard_csv_compare_and_evidence_on_postgres(app, make_staff):
    with app.app_context():
        leaky = evidence_builders.saas_submission()
        other = dashboard_builders.add_submission("Bo", "bo@example.com", score=91.0, verdict="strong", slug="saas-api").public_id
    interviewer = make_staff("interviewer")
    page = interviewer.get("/dashboard/?assessment=saas-api&sort=score&order=desc")
    assert page.status_code == 200 and "bo@example.com" in page.get_data(as_text=True)
    csv = interviewer.get("/dashboard/export.csv?assessment=saas-api").get_data(as_text=True)
    assert csv.count("\n") == 3  # header and two candidates
    assert interviewer.get(f"/dashboard/compare?ids={leaky}&ids={other}").status_code == 200
    evidence = interviewer.get(f"/submissions/{leaky}")
    assert evidence.status_code == 200 and "Critical findings" in evidence.get_data(as_text=True)
    form = {"check_id": "iso-get", "points": "1", "reason": "partial credit", "csrf_token": csrf_of(evidence.get_data(as_text=True))}
    assert interviewer.post(f"/submissions/{leaky}/overrides", data=form).status_code == 302


def test_portal_submission_on_postgres(app, invite, client):
    _, token = invite()
    page = client.get(f"/i/{token}")
    assert page.status_code == 200
    answer = client.post(f"/i/{token}/submissions", data={"csrf_token": csrf_of(page.get_data(as_text=True)),
                                                         "repo_url": "git://127.0.0.1:9/ada.git", "ref": "main"})
    assert answer.status_code == 302
    assert "Waiting for a free grader" in client.get(f"/i/{token}/status").get_data(as_text=True)
