"""Builders for test data: keys, submissions and published fixture repositories."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from grader.extensions import db
from grader.services.keys import create_key

SUBMISSIONS = Path(__file__).parent / "fixtures" / "submissions"

# A layer's own description, at its top, never copied: variant.yaml (what a seeded defect
# must fail) and overlay.yaml ({remove: [paths]}: files of the layers below it to delete).
LAYER_FILES = ("variant.yaml", "overlay.yaml")
_JUNK = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".git")


def build_repo(dest: Path, *layers: Path) -> Path:
    """Materialise a fixture repository in ``dest``: copy each folder in ``layers`` in order, later
    ones overwriting files of earlier ones (e.g. a starter, a reference overlaid on it, a variant
    overlaid on that).  A layer's ``overlay.yaml`` first deletes the paths it lists from what the
    layers below it made (and folders that leaves empty); a listed path that is not there is an
    error: the overlay is stale."""
    for layer in layers:
        overlay = layer / "overlay.yaml"
        for path in (yaml.safe_load(overlay.read_text()) or {}).get("remove", []) if overlay.is_file() else []:
            _remove(dest, path, overlay)

        def ignore(folder: str, names: list[str], top: str = str(layer)) -> set[str]:
            own = {n for n in names if n in LAYER_FILES} if folder == top else set()
            return set(_JUNK(folder, names)) | own

        shutil.copytree(layer, dest, dirs_exist_ok=True, symlinks=True, ignore=ignore)
    return dest


def _remove(dest: Path, path: str, overlay: Path) -> None:
    target = dest / path
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target)
    elif target.is_symlink() or target.is_file():
        target.unlink()
    else:
        raise FileNotFoundError(f"{overlay} removes {path}, which the layers below it do not have")
    while target.parent != dest and not any(target.parent.iterdir()):  # leave no folder empty
        target = target.parent
        target.rmdir()


def make_key(role: str) -> str:
    issued = create_key(role, label=f"test {role}")
    db.session.commit()
    return issued.token


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def submission_dir(assessment: str, name: str) -> Path:
    path = SUBMISSIONS / assessment / name
    assert path.is_dir(), path
    return path


def graded_submission(slug: str = "notes-api", *, score: float = 50.0):
    """A submission with one completed run and two check results, as the pipeline stores them."""
    from grader.models import CheckResult, GradingRun, Submission, SubmissionStatus
    from grader.services import catalog

    spec = catalog.spec_for(slug)
    submission = Submission(
        assessment=catalog.row_for(spec), candidate_name="Ada", candidate_email="ada@example.com",
        repo_url="git://127.0.0.1/x.git", ref="main", commit_sha="a" * 40, attempts=1,
    )
    db.session.add(submission)
    submission.set_status(SubmissionStatus.QUEUED, "submitted")
    run = GradingRun(
        submission=submission, attempt=1, status="completed", score_total=score, score_max=100.0,
        categories={"correctness": {"score": score, "max": 80.0}}, stage_seconds={"clone": 0.1, "install": 1.0, "test": 2.0, "total": 3.2},
        logs={"app": "gunicorn started"},
        score_spread={"measured_on": "2026-12-07", "passes": 5, "fixtures": 3, "largest_range": 0.6, "median_range": 0.2,
                      "kendall_tau_min": 1.0, "checks": {"get-note": 0.4}},
        candidate_account={"path": "NOTES.md", "present": True, "text": "# Notes\nI used SQLite.", "truncated": False,
                           "problem": None},
    )
    run.checks.append(CheckResult(check_id="health", category="correctness", weight=1, max_points=50, points=50,
                                  outcome="passed", output="", evidence=[]))
    run.checks.append(CheckResult(check_id="get-note", category="correctness", weight=1, max_points=50, points=0,
                                  outcome="failed", message="expected 200, got 500", output="Traceback ...",
                                  evidence=[{"method": "GET", "path": "/notes/1", "status": 500}]))
    db.session.add(run)
    submission.set_status(SubmissionStatus.COMPLETED, "score 50/100")
    db.session.commit()
    return submission
