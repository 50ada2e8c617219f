"""What staff add to a grade: decisions about candidates, notes, overrides and regrade reasons.

Rows are only ever added, so every change stays visible with who made it and when.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grader.extensions import db
from grader.models._base import utcnow

DECISIONS = ("advance", "hold", "reject")
ANNOTATION_KINDS = ("note", "override", "regrade")


class Decision(db.Model):
    """A recruiter's decision about one candidate (an assessment and an e-mail); the newest counts."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_slug: Mapped[str] = mapped_column(String(64), index=True)
    candidate_email: Mapped[str] = mapped_column(String(320), index=True)
    decision: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author_label: Mapped[str] = mapped_column(String(320), default="")  # e-mail or API key label, kept if the user goes
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Annotation(db.Model):
    """A note on a check, an override of its points (with a reason), or the reason for a regrade."""

    __tablename__ = "annotations"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("grading_runs.id"), index=True)
    check_id: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text, default="")
    points: Mapped[float | None] = mapped_column(Float)  # overrides only: the points the check now gives
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author_label: Mapped[str] = mapped_column(String(320), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    submission = relationship("Submission", back_populates="annotations")
