"""An invitation: one candidate, one assessment, a deadline and a number of attempts.

The link's secret is stored only as a SHA-256 (it is 32 random bytes, so a fast
hash is enough); everything the candidate does goes through that link.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grader.extensions import db
from grader.models._base import public_id, utcnow


def new_invitation_id() -> str:
    return public_id("inv", 9)


class Invitation(db.Model):
    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True, default=new_invitation_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    assessment_slug: Mapped[str] = mapped_column(String(64), index=True)
    candidate_name: Mapped[str] = mapped_column(String(200))
    candidate_email: Mapped[str] = mapped_column(String(320), index=True)
    deadline: Mapped[datetime]
    attempts_allowed: Mapped[int] = mapped_column(default=3)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_key_id: Mapped[int | None]  # no FK: keys refer to submissions, which refer to invitations
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    opened_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    submissions = relationship("Submission", back_populates="invitation", order_by="Submission.id")
    created_by = relationship("User", lazy="joined")
