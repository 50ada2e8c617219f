"""Grade one submission: clone → install → test → score → store.

``grade(submission_id)`` is what the Celery task calls and what ``grader grade``
calls in-process.  It is idempotent: a finished submission is left alone, a
redelivered task abandons its own dead run and starts a fresh attempt, and
check results belong to a run, so nothing is ever counted twice.

Every submission ends ``completed`` or ``failed`` with a reason a person
understands.  The candidate's own failures (install errors, an app that does
not start) are grades of zero with the reason in ``failure_reason``; the
grader's failures (clone, sandbox, timeout, bugs) are ``failed``.
"""

from __future__ import annotations

import logging
import shutil
import socket
import uuid
from datetime import timedelta
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from flask import current_app
from sqlalchemy import select

from grader.errors import GradingFailure, InstallFailed, SandboxFailure
from grader.extensions import db
from grader.models import CheckResult, GradingRun, Submission, SubmissionStatus
from grader.models._base import utcnow
from grader.services import catalog, handout, reviews
from grader.services.clone import ClonePolicy, clone
from grader.services.environment import environment
from grader.services.install import read_requirements
from grader.services.scoring import ScoreCard, score
from grader.strategies import STRATEGIES, GradingContext, StrategyOutcome
from grader.strategies.base import StageClock, not_run
from sandbox.errors import SandboxError
from sandbox.runner import LABEL_RUN, LABEL_WORKER

log = logging.getLogger(__name__)

S = SubmissionStatus


def clone_policy(config) -> ClonePolicy:
    return ClonePolicy(
        allow_local=config["GRADER_ALLOW_LOCAL_REPOS"],
        allowed_hosts=tuple(config["GRADER_CLONE_ALLOWED_HOSTS"]),
        timeout_s=config["GRADER_CLONE_TIMEOUT_S"],
        max_bytes=config["GRADER_CLONE_MAX_MB"] << 20,
    )


def _set_status(submission: Submission, status: SubmissionStatus, detail: str | None = None) -> None:
    submission.set_status(status, detail)
    db.session.commit()  # release the database before the next long sandbox step


def start_run(submission: Submission, task_id: str | None) -> GradingRun | None:
    """Open a new attempt, or return None when another live worker already holds one."""
    live = db.session.scalars(
        select(GradingRun).where(GradingRun.submission_id == submission.id, GradingRun.status == "running")
    ).all()
    stale_before = utcnow() - timedelta(seconds=current_app.config["GRADER_STUCK_AFTER_S"])
    for run in live:
        same_task = task_id is not None and run.task_id == task_id
        if not same_task and run.started_at > stale_before:
            log.info("submission %s is already being graded by run %s", submission.public_id, run.id)
            return None
        run.status = "abandoned"
        run.finished_at = utcnow()
        run.notes = "abandoned: the worker running it stopped before finishing"
    submission.attempts += 1
    run = GradingRun(
        submission=submission, attempt=submission.attempts, task_id=task_id, worker_host=socket.gethostname()
    )
    db.session.add(run)
    db.session.commit()
    return run


def grade(submission_id: int, *, task_id: str | None = None) -> None:
    """Grade a submission to a terminal state; safe to call twice."""
    submission = db.session.get(Submission, submission_id)
    if submission is None:
        log.warning("submission %s does not exist", submission_id)
        return
    if submission.status.terminal:
        log.info("submission %s already %s", submission.public_id, submission.status.value)
        return
    config = current_app.config
    if submission.attempts >= config["GRADER_MAX_ATTEMPTS"]:
        fail(submission, None, "timed_out", f"grading did not finish after {submission.attempts} attempts")
        return
    run = start_run(submission, task_id)
    if run is None:
        return
    stages = StageClock()
    workdir = Path(config["GRADER_WORKDIR"]) / f"{submission.public_id}-{run.attempt}-{uuid.uuid4().hex[:6]}"
    run_label = f"r{run.id}-{uuid.uuid4().hex[:4]}"
    env = None
    code_volume = None
    try:
        spec = catalog.spec_for(submission.assessment.slug, fresh=True)
        run.assessment_hash = spec.content_hash
        run.suite_hash = spec.suite_hash
        _set_status(submission, S.CLONING)
        with stages.stage("clone"):
            checkout = clone(submission.repo_url, submission.ref, workdir / "repo", clone_policy(config))
        submission.commit_sha = checkout.commit_sha
        if spec.handout is not None:
            run.handout_diff = handout.diff_against(spec, checkout.path)
        _set_status(submission, S.INSTALLING, f"commit {checkout.commit_sha[:12]}")
        env = environment(config)
        install_error: InstallFailed | None = None
        with stages.stage("install"):
            labels = {LABEL_RUN: run_label, LABEL_WORKER: env.sandbox.worker}
            code_volume = f"grader-code-{run_label}"
            try:
                env.sandbox.volume_from_dir(code_volume, checkout.path, image=env.images.runner, labels=labels)
            except SandboxError as exc:
                raise SandboxFailure(f"could not copy the repository into the sandbox: {exc}") from exc
            try:
                requirements = read_requirements(checkout.path)
                deps = env.installer(spec).install(requirements, run_label)
                run.dependency_cache_hit = deps.cache_hit
                run.logs = {**(run.logs or {}), "install": deps.log}
            except InstallFailed as exc:
                install_error = exc
                if exc.log:  # pip's output: the candidate reads why beside the reason
                    run.logs = {**(run.logs or {}), "install": exc.log}
        if install_error is not None:
            outcome = StrategyOutcome(not_run(spec, str(install_error)), notes=f"install failed: {install_error}")
        else:
            _set_status(submission, S.TESTING)
            with stages.stage("images"):
                extra_images = env.assessment_images(spec)
            context = GradingContext(
                spec=spec, sandbox=env.sandbox, images=env.images, run_id=run_label,
                checkout=checkout.path, code_volume=code_volume, deps_volume=deps.volume,
                installer=env.installer(spec), extra_images=extra_images,
            )
            with stages.stage("test"):
                outcome = STRATEGIES[spec.strategy](context).run()
            stages.seconds.update({f"test.{k}": round(v, 3) for k, v in outcome.stage_seconds.items()})
        _set_status(submission, S.SCORING)
        with stages.stage("score"):
            card = score(spec, outcome.checks)
            _store(run, card, outcome)
        run.image_id = outcome.image_id or None
        run.stage_seconds = stages.finish()
        run.status = "completed"
        run.finished_at = utcnow()
        submission.result_run = run
        submission.failure_code = "install_failed" if install_error else None
        submission.failure_reason = outcome.notes
        _set_status(submission, S.COMPLETED, f"score {card.total:g}/{card.max:g}")
    except Exception as exc:  # noqa: BLE001 - whatever broke, the submission must end
        db.session.rollback()
        run.stage_seconds = stages.finish()
        fail(submission, run, *_failure(exc, submission))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if env is not None and code_volume:
            env.sandbox.remove_volume(code_volume)


def _failure(exc: Exception, submission: Submission) -> tuple[str, str]:
    """The failure code and the sentence a person reads, for anything that ended a grading."""
    if isinstance(exc, GradingFailure):
        return exc.code, exc.reason
    if isinstance(exc, SoftTimeLimitExceeded):
        return "timed_out", "grading took longer than the time limit"
    log.exception("grading %s crashed", submission.public_id)
    return "internal_error", f"internal error in the grader ({type(exc).__name__}); it has been logged"


def _store(run: GradingRun, card: ScoreCard, outcome: StrategyOutcome) -> None:
    run.checks.clear()
    for scored in card.checks:
        o = scored.outcome
        run.checks.append(
            CheckResult(
                check_id=o.check_id, title=scored.title, contract=scored.contract, category=scored.category, weight=scored.weight,
                max_points=scored.max_points, points=scored.points, outcome=o.outcome,
                duration_s=round(o.duration_s, 3), message=o.message[:4000], output=o.output[-16000:],
                evidence=list(o.evidence)[:50],
            )
        )
    run.score_total = card.total
    run.score_max = card.max
    run.categories = card.categories
    run.notes = outcome.notes
    run.signals = outcome.signals
    run.logs = {**(run.logs or {}), **{k: v[-16000:] for k, v in outcome.logs.items()}}
    reviews.apply_result(run)


def fail(submission: Submission, run: GradingRun | None, code: str, reason: str) -> None:
    """End a submission as failed with a reason a person understands."""
    if run is not None:
        run.status = "failed"
        run.finished_at = utcnow()
        run.notes = reason
    submission.failure_code = code
    submission.failure_reason = reason
    _set_status(submission, S.FAILED, reason)
