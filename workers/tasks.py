"""Celery tasks: ids in, a service call, nothing else."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_ready

log = logging.getLogger(__name__)


@shared_task(name="workers.tasks.grade_submission", bind=True, acks_late=True, reject_on_worker_lost=True,
             max_retries=None)  # the service counts its retries (GRADER_INFRA_RETRIES) and stops them
def grade_submission(self, submission_id: int) -> None:
    """Grade one submission (idempotent: a redelivery never duplicates results).

    After an outage of ours the service asks for a retry with its back-off; Celery's
    own retry count is the service's count, and the service decides when to stop.
    """
    from grader.services.grading import grade

    retry = grade(submission_id, task_id=self.request.id, retries=self.request.retries)
    if retry is not None:
        raise self.retry(countdown=retry.delay_s)


@shared_task(name="workers.tasks.sweep_stuck", acks_late=False)
def sweep_stuck() -> dict[str, int]:
    """Re-queue or fail submissions that stopped moving."""
    from grader.services.submissions import sweep_stuck as sweep

    return sweep()


@worker_ready.connect
def _remove_orphans(sender=None, **_):
    """A restarted worker first removes the containers its previous life left behind."""
    try:
        import os

        from sandbox.runner import DockerSandbox

        removed = DockerSandbox(worker=os.environ.get("GRADER_WORKER_NAME")).remove_orphans(older_than_s=6 * 3600)
        if removed:
            log.warning("removed %d orphaned sandbox containers", removed)
    except Exception as exc:  # noqa: BLE001 - a worker without Docker still serves sweeps
        log.error("could not clean orphaned containers: %s", exc)
