"""Builders for test data: keys, submissions and published fixture repositories."""

from __future__ import annotations

from pathlib import Path

from grader.extensions import db
from grader.services.keys import create_key

SUBMISSIONS = Path(__file__).parent / "fixtures" / "submissions"


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
