"""A grading run (one per attempt or regrade) and the result of each hidden check."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grader.extensions import db
from grader.models._base import utcnow


class GradingRun(db.Model):
    __tablename__ = "grading_runs"
    __table_args__ = (UniqueConstraint("submission_id", "attempt", name="uq_run_attempt"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    attempt: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default="running")  # running|completed|failed|abandoned
    task_id: Mapped[str | None] = mapped_column(String(64))
    worker_host: Mapped[str | None] = mapped_column(String(255))
    assessment_hash: Mapped[str | None] = mapped_column(String(64))
    suite_hash: Mapped[str | None] = mapped_column(String(64))
    image_id: Mapped[str | None] = mapped_column(String(128))
    dependency_cache_hit: Mapped[bool | None]
    stage_seconds: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    score_total: Mapped[float | None] = mapped_column(Float)
    score_max: Mapped[float | None] = mapped_column(Float)
    categories: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    notes: Mapped[str | None] = mapped_column(Text)  # why checks were not run, in words
    logs: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # stage -> capped output
    signals: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # own tests, lint, structure
    score_spread: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # services.stability.Spread of its version
    # The verdict shown before any number, and its critical findings [{check_id, sentence}].
    verdict: Mapped[str | None] = mapped_column(String(32))
    critical_findings: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # The score after interviewers' overrides (equals score_total when there are none).
    adjusted_total: Mapped[float | None] = mapped_column(Float)
    # Files the candidate changed against the handout: [{path, status, diff}] (capped).
    handout_diff: Mapped[list[Any] | None] = mapped_column(JSON)
    # What the candidate wrote about their work (services.candidate_account.read), when the brief asks.
    candidate_account: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]

    submission = relationship("Submission", back_populates="runs", foreign_keys=[submission_id])
    checks: Mapped[list[CheckResult]] = relationship(
        back_populates="run", order_by="CheckResult.id", cascade="all, delete-orphan"
    )


class CheckResult(db.Model):
    __tablename__ = "check_results"
    __table_args__ = (UniqueConstraint("run_id", "check_id", name="uq_check_per_run"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("grading_runs.id"), index=True)
    check_id: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300), default="")
    contract: Mapped[str] = mapped_column(Text, default="")  # the contract line the check enforces
    category: Mapped[str] = mapped_column(String(64))
    weight: Mapped[float] = mapped_column(Float)
    max_points: Mapped[float] = mapped_column(Float)
    points: Mapped[float] = mapped_column(Float)
    outcome: Mapped[str] = mapped_column(String(16))  # passed|partial|failed|error|not_run (partial: a measured share)
    duration_s: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(Text, default="")
    output: Mapped[str] = mapped_column(Text, default="")  # capped
    evidence: Mapped[list[Any]] = mapped_column(JSON, default=list)

    run: Mapped[GradingRun] = relationship(back_populates="checks")
