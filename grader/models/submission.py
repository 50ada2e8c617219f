"""A submission: one candidate's repository for one assessment, and its status timeline."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grader.errors import FailureCode  # noqa: F401 - re-exported with the models that store it
from grader.extensions import db
from grader.models._base import public_id, utcnow


class SubmissionStatus(str, enum.Enum):
    QUEUED = "queued"
    CLONING = "cloning"
    INSTALLING = "installing"
    TESTING = "testing"
    SCORING = "scoring"
    COMPLETED = "completed"
    FAILED = "failed"

    @property
    def terminal(self) -> bool:
        return self in (SubmissionStatus.COMPLETED, SubmissionStatus.FAILED)


def new_public_id() -> str:
    return public_id("sub", 12)


class Submission(db.Model):
    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True, default=new_public_id)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    candidate_name: Mapped[str] = mapped_column(String(200))
    candidate_email: Mapped[str] = mapped_column(String(320))
    repo_url: Mapped[str] = mapped_column(String(2048))
    ref: Mapped[str] = mapped_column(String(255), default="HEAD")
    commit_sha: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[SubmissionStatus] = mapped_column(
        db.Enum(SubmissionStatus, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]),
        default=SubmissionStatus.QUEUED,
        index=True,
    )
    failure_code: Mapped[str | None] = mapped_column(String(32))
    failure_reason: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    created_by_key_id: Mapped[int | None]  # the key that submitted (no FK: keys and receipts refer to each other)
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id"), index=True)
    # The run whose result counts (the newest completed one): the dashboard reads it with one join.
    result_run_id: Mapped[int | None] = mapped_column(ForeignKey("grading_runs.id", use_alter=True, name="fk_submission_result_run"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, index=True)
    completed_at: Mapped[datetime | None]

    assessment = relationship("Assessment", lazy="joined")
    events: Mapped[list[StatusEvent]] = relationship(
        back_populates="submission", order_by="StatusEvent.id", cascade="all, delete-orphan"
    )
    runs = relationship("GradingRun", back_populates="submission", order_by="GradingRun.id",
                        foreign_keys="GradingRun.submission_id")
    result_run = relationship("GradingRun", foreign_keys=[result_run_id], post_update=True)
    invitation = relationship("Invitation", back_populates="submissions")
    annotations = relationship("Annotation", back_populates="submission", order_by="Annotation.id")

    def set_status(self, status: SubmissionStatus, detail: str | None = None) -> None:
        """Move to ``status`` and append it to the timeline (the only way statuses change)."""
        self.status = status
        self.updated_at = utcnow()
        if status.terminal:
            self.completed_at = self.updated_at
        self.events.append(StatusEvent(status=status.value, detail=detail))


class StatusEvent(db.Model):
    __tablename__ = "status_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)

    submission: Mapped[Submission] = relationship(back_populates="events")
