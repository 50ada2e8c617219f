"""Migrations: they build the schema the models describe, on SQLite and PostgreSQL, over existing rows."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from grader import create_app
from grader.extensions import db
from tests.conftest import grader_env


def _app(tmp_path, monkeypatch, **extra):
    for key, value in grader_env(tmp_path, **extra).items():
        monkeypatch.setenv(key, value)
    return create_app()


def _drift(app):
    with app.app_context(), db.engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), db.metadata)


def test_migrations_match_the_models_on_sqlite(tmp_path, monkeypatch):
    app = _app(tmp_path, monkeypatch)
    with app.app_context():
        upgrade()
    assert _drift(app) == []


@pytest.mark.postgres
def test_migrations_match_the_models_on_postgres(tmp_path, monkeypatch, postgres):
    app = _app(tmp_path, monkeypatch, DATABASE_URL=postgres.create_database())
    with app.app_context():
        upgrade()
    assert _drift(app) == []


def test_later_migrations_apply_over_existing_rows(tmp_path, monkeypatch):
    app = _app(tmp_path, monkeypatch)
    with app.app_context():
        upgrade(revision="c96c0214926d")  # the first schema, then real data, then the rest
        db.session.execute(db.text("INSERT INTO assessments (slug, version, title, content_hash, created_at) VALUES ('a', 1, 't', 'h', CURRENT_TIMESTAMP)"))
        db.session.execute(db.text(
            "INSERT INTO submissions (public_id, assessment_id, candidate_name, candidate_email, repo_url, ref, status, attempts,"
            " created_at, updated_at) VALUES ('sub_1', 1, 'n', 'e@x.io', 'u', 'main', 'completed', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        db.session.execute(db.text(
            "INSERT INTO grading_runs (submission_id, attempt, status, stage_seconds, categories, logs, started_at)"
            " VALUES (1, 1, 'completed', '{}', '{}', '{}', CURRENT_TIMESTAMP)"))
        db.session.execute(db.text(
            "INSERT INTO check_results (run_id, check_id, title, category, weight, max_points, points, outcome, duration_s,"
            " message, output, evidence) VALUES (1, 'c', '', 'x', 1, 1, 1, 'passed', 0, '', '', '[]')"))
        db.session.commit()
        upgrade()
        assert db.session.execute(db.text("SELECT contract FROM check_results")).scalar_one() == ""
        # The completed run becomes the submission's result, so the dashboard shows it.
        assert db.session.execute(db.text("SELECT result_run_id FROM submissions")).scalar_one() == 1
        downgrade(revision="c96c0214926d")
