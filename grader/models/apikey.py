"""API keys: stored as a prefix and a SHA-256 of a 32-byte secret, never in clear."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from grader.extensions import db
from grader.models._base import utcnow


class Role(str, enum.Enum):
    """Roles in increasing power: each sees what the ones before it see."""

    CANDIDATE = "candidate"
    RECRUITER = "recruiter"
    INTERVIEWER = "interviewer"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


class ApiKey(db.Model):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(200), default="")
    # A receipt: a candidate key that sees only this submission.
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    @property
    def role_enum(self) -> Role:
        return Role(self.role)
