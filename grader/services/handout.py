"""What a candidate receives: the assessment's handout as a fresh git repository.

A repository, not a zip, because candidates submit a repository: the first
commit is ours, so an interviewer can diff everything the candidate changed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import git

from grader.errors import Invalid
from grader.specs import AssessmentSpec

IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".venv", ".pytest_cache")


def export(spec: AssessmentSpec, target: Path) -> str:
    """Write the handout into ``target`` (absent or empty) and commit it; return the commit SHA."""
    if spec.handout is None:
        raise Invalid(f"assessment {spec.slug!r} has no handout to export")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise Invalid(f"{target} exists and is not an empty folder")
    shutil.copytree(spec.folder / spec.handout.source, target, ignore=IGNORED, dirs_exist_ok=True)
    for destination, source in spec.handout.add.items():
        path = target / destination
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(spec.folder / source, path)
    repo = git.Repo.init(target, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "grader")
        config.set_value("user", "email", "grader@localhost")
    repo.git.add(A=True)
    repo.index.commit(f"{spec.title}: starting point (assessment {spec.slug} v{spec.version})")
    return repo.head.commit.hexsha
