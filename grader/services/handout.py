"""What a candidate receives: the assessment's handout as a fresh git repository.

A repository, not a zip, because candidates submit a repository: the first
commit is ours, and it is the same commit every time (fixed author and dates),
so an interviewer can diff everything the candidate changed against it.
"""

from __future__ import annotations

import difflib
import os
import shutil
import tempfile
from pathlib import Path

import git

from grader.errors import Invalid
from grader.specs import AssessmentSpec

IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".venv", ".pytest_cache")
SKIP_DIRS = {".git", "__pycache__", ".venv", ".pytest_cache", "node_modules"}
COMMIT_DATE = "1767225600 +0000"  # 2026-01-01 00:00 UTC  # fixed, so the handout commit's SHA depends on content alone
MAX_FILES = 400
MAX_FILE_BYTES = 200_000
MAX_DIFF_CHARS = 400_000


def export(spec: AssessmentSpec, target: Path) -> str:
    """Write the handout into ``target`` (absent or empty) and commit it; return the commit SHA."""
    if spec.handout is None:
        raise Invalid(f"assessment {spec.slug!r} has no handout to export")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise Invalid(f"{target} exists and is not an empty folder")
    _write_files(spec, target)
    repo = git.Repo.init(target, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "grader")
        config.set_value("user", "email", "grader@localhost")
    repo.git.add(A=True)
    actor = git.Actor("grader", "grader@localhost")
    repo.index.commit(f"{spec.title}: starting point (assessment {spec.slug} v{spec.version})",
                      author=actor, committer=actor, author_date=COMMIT_DATE, commit_date=COMMIT_DATE)
    return repo.head.commit.hexsha


def _write_files(spec: AssessmentSpec, target: Path) -> None:
    shutil.copytree(spec.folder / spec.handout.source, target, ignore=IGNORED, dirs_exist_ok=True)
    for destination, source in spec.handout.add.items():
        path = target / destination
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(spec.folder / source, path)


def bundle(spec: AssessmentSpec, cache_dir: Path) -> Path:
    """The handout as a git bundle (``git clone X.bundle``), made once per assessment content."""
    path = cache_dir / f"{spec.slug}-{spec.content_hash[:16]}.bundle"
    if path.is_file():
        return path
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir) as tmp:
        repo_dir = Path(tmp) / "repo"
        export(spec, repo_dir)
        partial = Path(tmp) / "handout.bundle"
        git.Repo(repo_dir).git.bundle("create", str(partial), "HEAD", "main")  # HEAD: `git clone` checks out main
        os.replace(partial, path)
    return path


def _clean_name(path: Path, root: Path) -> str:
    """A display-safe relative name (undecodable bytes replaced, never an exception)."""
    return os.fsencode(path.relative_to(root)).decode("utf-8", "replace")


def _files(root: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if path.is_symlink() or not path.is_file() or name.endswith(".pyc"):
                continue
            found[_clean_name(path, root)] = path
            if len(found) > MAX_FILES * 4:
                return found
    return found


def _lines(path: Path) -> list[str] | None:
    """A text file's lines, or None for binary or oversized files."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    if b"\0" in data:
        return None
    return data.decode("utf-8", "replace").splitlines(keepends=True)


def diff_against(spec: AssessmentSpec, checkout: Path) -> list[dict]:
    """Files the candidate added, removed or changed against the handout: [{path, status, diff}]."""
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "handout"
        _write_files(spec, base)
        before, after = _files(base), _files(checkout)
        changes: list[dict] = []
        budget = MAX_DIFF_CHARS
        for name in sorted(set(before) | set(after)):
            status = "added" if name not in before else "removed" if name not in after else "modified"
            old = _lines(before[name]) if name in before else []
            new = _lines(after[name]) if name in after else []
            if status == "modified" and old is not None and old == new:
                continue
            if old is None or new is None:
                if status == "modified" and before[name].read_bytes() == after[name].read_bytes():
                    continue
                text = "(binary or large file: not shown)"
            else:
                text = "".join(difflib.unified_diff(old, new, f"handout/{name}", f"submission/{name}", n=3))
            if len(text) > budget:
                text = text[:max(budget, 0)] + "\n… (diff cut: too large to store)"
            budget -= len(text)
            changes.append({"path": name, "status": status, "diff": text})
            if len(changes) >= MAX_FILES:
                changes.append({"path": "…", "status": "cut", "diff": f"more than {MAX_FILES} files changed"})
                break
        return changes
