"""Grade one submission: clone → install → test → score → store.

``grade(submission_id)`` is what the Celery task calls and what ``grader grade``
calls in-process.  It is idempotent: a finished submission is left alone, a
redelivered task abandons its own dead run and starts a fresh attempt, and
check results belong to a run, so nothing is ever counted twice.

Every submission ends ``completed`` or ``failed`` with a reason a person
understands.  The candidate's own failures (install errors, an app that does
not start) are grades of zero with the reason in ``failure_reason``; the
grader's failures (clone, sandbox, timeout, bugs) are ``failed``.  An outage of
ours (index, DNS, TLS, the Docker engine: see ``failures``) is neither: ``grade``
gives the attempt back and returns a ``Retry`` with its back-off, which the Celery
task schedules and ``grade_until_done`` (the CLI) sleeps through; at the limit the
submission ends ``failed`` with code ``infrastructure``.  A pre-flight check of the
engine and the index (``preflight``) runs first, so an outage is found before the
candidate's requirements could be blamed for it.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import socket
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from grader.errors import FailureCode, InstallFailed, SandboxFailure
from grader.extensions import db
from grader.models import CheckResult, GradingRun, Submission, SubmissionStatus
from grader.models._base import utcnow
from grader.services import candidate_account, catalog, handout, preflight, reviews, stability
from grader.services.catalog import GradingPlan
from grader.services.clone import ClonePolicy, clone
from grader.services.environment import GradingEnvironment, environment
from grader.services.failures import Retry, classify, fail, fail_lost_worker, retry_or_fail, set_status
from grader.services.install import read_requirements
from grader.services.scoring import ScoreCard, score
from grader.services.timing import HostShare
from grader.strategies import GradingContext, StrategyOutcome
from grader.strategies.base import StageClock, not_run
from sandbox import RunScope, SandboxError

log = logging.getLogger(__name__)

S = SubmissionStatus


def start_run(submission: Submission, task_id: str | None) -> GradingRun | None:
    """Open a new attempt, or return None when the submission is finished or another live worker holds it.

    The submission's row is locked first (FOR UPDATE on PostgreSQL; SQLite
    serialises writers), so two workers handed the same submission at once
    (a redelivery, a double enqueue) cannot both start: the second one waits,
    then sees the first one's run.
    """
    db.session.execute(select(Submission.id).where(Submission.id == submission.id).with_for_update())
    db.session.refresh(submission)
    if submission.status.terminal:
        db.session.commit()
        return None
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
    # Numbered after every earlier run: attempts given back (an outage of ours) or reset by a
    # regrade count again from fewer, but a run's number stays unique within its submission.
    number = max((r.attempt for r in submission.runs), default=0) + 1
    run = GradingRun(
        submission=submission, attempt=number, task_id=task_id,
        worker_host=current_app.config["GRADER_WORKER_NAME"] or socket.gethostname(),
    )
    db.session.add(run)
    db.session.commit()
    return run


def grade(submission_id: int, *, task_id: str | None = None, retries: int = 0) -> Retry | None:
    """Grade a submission to a terminal state, or return a ``Retry`` after an outage of ours; safe to call twice.

    ``retries``: how many times this grading was already retried for an outage.
    """
    submission = db.session.get(Submission, submission_id)
    if submission is None:
        log.warning("submission %s does not exist", submission_id)
        return None
    if submission.status.terminal:
        log.info("submission %s already %s", submission.public_id, submission.status.value)
        return None
    config = current_app.config
    if submission.attempts >= config["GRADER_MAX_ATTEMPTS"]:
        fail_lost_worker(submission)
        return None
    run = start_run(submission, task_id)
    if run is None:
        return None
    stages = StageClock()
    workdir = Path(config["GRADER_WORKDIR"]) / f"{submission.public_id}-{run.attempt}-{uuid.uuid4().hex[:6]}"
    try:
        preflight.check(lambda: environment(config).ping(), config["GRADER_PIP_INDEX_URL"], config["GRADER_PIP_CERT"])
        env = environment(config)
        for earlier in submission.runs:  # what an outage kept an earlier attempt (or grading) from removing
            if earlier.status in ("retried", "failed"):
                env.clear_run(scope_id(submission, earlier))
        plan = catalog.plan_for(submission.assessment.slug, fresh=True)
        spec = plan.spec
        run.assessment_hash = spec.content_hash
        run.suite_hash = spec.suite_hash
        run.score_spread = stability.known(spec)
        set_status(submission, S.CLONING)
        with stages.stage("clone"):
            checkout = clone(submission.repo_url, submission.ref, workdir / "repo", ClonePolicy.from_config(config))
        submission.commit_sha = checkout.commit_sha
        if spec.handout is not None:
            run.handout_diff = handout.diff_against(spec, checkout.path)
        if spec.candidate_account is not None:
            run.candidate_account = candidate_account.read(spec.candidate_account, checkout.path)
        set_status(submission, S.INSTALLING, f"commit {checkout.commit_sha[:12]}")
        with RunScope(env.sandbox, scope_id(submission, run)) as scope, env.host.share() as host:
            outcome, install_error = _test(plan, env, scope, host, checkout.path, submission, run, stages)
        set_status(submission, S.SCORING)
        with stages.stage("score"):
            card = score(spec, outcome.checks)
            _store(run, card, outcome)
        run.image_id = outcome.image_id or None
        run.stage_seconds = stages.finish()
        run.status = "completed"
        run.finished_at = utcnow()
        submission.result_run = run
        submission.failure_code = FailureCode.INSTALL_FAILED.value if install_error else None
        submission.failure_reason = outcome.notes
        set_status(submission, S.COMPLETED, f"score {card.total:g}/{card.max:g}")
    except Exception as exc:  # noqa: BLE001 - whatever broke, the submission must end (or be retried)
        db.session.rollback()
        run.stage_seconds = stages.finish()
        code, reason = classify(exc, submission)
        if code is FailureCode.INFRASTRUCTURE:
            return retry_or_fail(submission, run, reason, retries, config)
        fail(submission, run, code, reason)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return None


def grade_until_done(submission_id: int, *, sleep: Callable[[float], None] = time.sleep,
                     on_retry: Callable[[Retry], None] | None = None) -> None:
    """Grade in this process (``grader grade``), waiting out each back-off after an outage of ours.

    The in-process twin of the Celery task's ``self.retry``: the same limit and
    delays, from the same config, so both end ``failed``/``infrastructure`` alike.
    """
    retries = 0
    while (retry := grade(submission_id, retries=retries)) is not None:
        if on_retry is not None:
            on_retry(retry)
        sleep(retry.delay_s)
        retries += 1


def scope_id(submission: Submission, run: GradingRun) -> str:
    """The sandbox's name for one run: derived, so a later attempt can remove what an outage left behind."""
    return f"{submission.public_id}-a{run.attempt}"


def _test(plan: GradingPlan, env: GradingEnvironment, scope: RunScope, host: HostShare, checkout: Path,
          submission: Submission, run: GradingRun, stages: StageClock) -> tuple[StrategyOutcome, InstallFailed | None]:
    """Install and test side by side: the strategy prepares while the candidate's dependencies install.

    The strategy runs in a thread and asks for the dependencies when it needs
    them; this thread reports the stages (the database session is its own) and
    turns an install failure, the candidate's, into a graded zero with the reason.
    """
    spec = plan.spec
    installer = env.installer(spec)
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix=f"grade-{submission.public_id}") as pool:
        try:
            with stages.stage("install"):
                try:
                    code_volume = scope.volume("code", image=env.images.runner, source=checkout)
                except SandboxError as exc:
                    raise SandboxFailure(f"could not copy the repository into the sandbox: {exc}") from exc
                installing = pool.submit(lambda: installer.install(read_requirements(checkout), scope))
                with stages.stage("images"):
                    extra_images = env.assessment_images(spec)
                context = GradingContext(
                    spec=spec, options=plan.options, scope=scope, images=env.images, checkout=checkout,
                    code_volume=code_volume, candidate_deps=lambda: installing.result().volume,
                    install=lambda folder: installer.install(read_requirements(folder), scope).volume,
                    extra_images=extra_images, exclusive_host=host.exclusive, baselines=env.baselines,
                )
                testing = pool.submit(stages.timed("test", plan.strategy(context).run))
                try:
                    deps = installing.result()
                except InstallFailed as exc:
                    if exc.log:  # pip's output: the candidate reads why beside the reason
                        run.logs = {**(run.logs or {}), "install": exc.log}
                    scope.abort()  # nothing left to test: stop what the strategy prepared
                    with contextlib.suppress(Exception):
                        testing.result()
                    return StrategyOutcome(not_run(spec, str(exc)), notes=f"install failed: {exc}"), exc
            run.dependency_cache_hit = deps.cache_hit
            run.logs = {**(run.logs or {}), "install": deps.log}
            set_status(submission, S.TESTING)
            outcome = testing.result()
        except BaseException:
            scope.abort()  # the strategy's containers stop now, not at their own time limits
            raise
    stages.seconds.update({f"test.{k}": round(v, 3) for k, v in outcome.stage_seconds.items()})
    stages.seconds.update({f"host.{k}": v for k, v in host.figures().items()})
    return outcome, None


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
