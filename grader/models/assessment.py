"""An assessment as the database knows it: a slug and a content hash, never its logic."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from grader.extensions import db
from grader.models._base import utcnow


class Assessment(db.Model):
    __tablename__ = "assessments"
    __table_args__ = (UniqueConstraint("slug", "version", "content_hash", name="uq_assessment_content"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
