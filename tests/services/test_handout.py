"""The handout: the same first commit every time, a bundle to clone, and a diff of what the candidate changed."""

import subprocess
from pathlib import Path

from grader.services.handout import bundle, diff_against, export
from grader.specs import load_spec

PERF = load_spec(Path(__file__).resolve().parents[2] / "assessments" / "perf-challenge")


def test_the_handout_commit_depends_on_content_alone(tmp_path):
    assert export(PERF, tmp_path / "a") == export(PERF, tmp_path / "b")


def test_the_bundle_clones_to_the_handout_commit(tmp_path):
    path = bundle(PERF, tmp_path / "cache")
    subprocess.run(["git", "clone", "-q", str(path), str(tmp_path / "clone")], check=True)
    head = subprocess.run(["git", "-C", str(tmp_path / "clone"), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    assert head == export(PERF, tmp_path / "fresh")
    assert bundle(PERF, tmp_path / "cache") == path  # made once per content


def test_the_diff_lists_added_changed_and_removed_files(tmp_path):
    repo = tmp_path / "repo"
    export(PERF, repo)
    app = next(p for p in sorted(repo.rglob("*.py")) if ".git" not in p.parts)
    app.write_text(app.read_text() + "\n# cached\n")
    (repo / "PERFORMANCE.md").write_text("what I measured\n")
    (repo / "CONTRACT.md").unlink()
    bad_name = repo / "we\udcfeird.txt"
    bad_name.write_bytes(b"x")
    changes = {c["path"]: c for c in diff_against(PERF, repo)}
    rel = app.relative_to(repo).as_posix()
    assert changes[rel]["status"] == "modified" and "+# cached" in changes[rel]["diff"]
    assert changes["PERFORMANCE.md"]["status"] == "added"
    assert changes["CONTRACT.md"]["status"] == "removed"
    assert any(c["status"] == "added" and "\ufffd" in c["path"] for c in changes.values())  # shown, never a crash
    assert ".git/HEAD" not in changes
