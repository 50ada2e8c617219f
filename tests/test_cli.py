"""The `grader` command."""

import json
import subprocess
import sys

import pytest

from grader.cli import main
from tests.conftest import ROOT, TEST_ASSESSMENTS, grader_env
from tests.factories import submission_dir


def test_keys_create_prints_a_working_key(runner, client):
    result = runner.invoke(main, args=["keys", "create", "--role", "recruiter", "--label", "cli"])
    assert result.exit_code == 0
    token = result.output.strip()
    assert client.get("/api/v1/submissions", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_assessments_validate_accepts_the_fixture(runner):
    result = runner.invoke(main, args=["assessments", "validate", str(TEST_ASSESSMENTS / "notes-api")])
    assert result.exit_code == 0
    assert "ok   notes-api v1: 6 checks" in result.output


def test_assessments_validate_reports_a_broken_definition(runner, tmp_path):
    (tmp_path / "hidden").mkdir()
    (tmp_path / "assessment.yaml").write_text(
        "slug: broken\nversion: 1\ntitle: B\napp: {command: [x]}\ncategories: {a: {points: 10}}\n"
        "checks: [{id: one, category: nope, severity: minor}]\n"
    )
    result = runner.invoke(main, args=["assessments", "validate", str(tmp_path)])
    assert result.exit_code == 1
    assert "unknown category 'nope'" in result.output


@pytest.mark.slow
def test_grade_a_local_folder_prints_the_json_report(tmp_path, images):
    env = grader_env(tmp_path, GRADER_ENV="development")
    proc = subprocess.run(
        [sys.executable, "-m", "grader.cli", "grade", str(submission_dir("notes-api", "buggy")),
         "--assessment", "notes-api", "--json"],
        cwd=ROOT, env={**__import__("os").environ, **env}, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    for key in ("id", "assessment", "status", "failure_reason", "commit", "score", "checks", "timings"):
        assert key in report
    assert report["status"] == "completed"
    assert set(report["score"]["categories"]) == {"correctness", "robustness"}
    assert {c["id"] for c in report["checks"] if c["outcome"] == "failed"} == {"list-notes", "missing-404"}
    for check in report["checks"]:
        assert {"id", "category", "outcome", "points", "max_points", "message"} <= set(check)
    assert {"clone", "install", "test", "total"} <= set(report["timings"])


def test_local_folders_are_refused_outside_development(tmp_path):
    env = grader_env(tmp_path, GRADER_ENV="testing", GRADER_ALLOW_LOCAL_REPOS="0")
    proc = subprocess.run(
        [sys.executable, "-m", "grader.cli", "grade", str(submission_dir("notes-api", "good")), "--assessment", "notes-api"],
        cwd=ROOT, env={**__import__("os").environ, **env}, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode != 0
    assert "local repositories" in proc.stderr


def test_export_hands_out_the_starter_as_a_fresh_git_repository(runner, tmp_path):
    target = tmp_path / "handout"
    result = runner.invoke(main, args=["assessments", "export", "perf-challenge", str(target)])
    assert result.exit_code == 0, result.output
    log = subprocess.run(["git", "-C", str(target), "log", "--format=%s"], capture_output=True, text=True, check=True)
    assert log.stdout.count("\n") == 1 and "starting point" in log.stdout
    status = subprocess.run(["git", "-C", str(target), "status", "--porcelain"], capture_output=True, text=True, check=True)
    assert status.stdout == ""
    database = ROOT / "assessments" / "perf-challenge" / "database"
    assert (target / "db" / "seed.py").read_bytes() == (database / "seed.py").read_bytes()
    assert (target / "db" / "schema.sql").read_bytes() == (database / "schema.sql").read_bytes()
    assert (target / "CONTRACT.md").is_file() and (target / "app" / "__init__.py").is_file()
    assert not (target / "hidden").exists() and not list(target.rglob("__pycache__"))


def test_export_refuses_a_folder_with_files_in_it(runner, tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    result = runner.invoke(main, args=["assessments", "export", "perf-challenge", str(tmp_path)])
    assert result.exit_code != 0 and "not an empty folder" in result.output
    assert (tmp_path / "keep.txt").read_text() == "mine"
