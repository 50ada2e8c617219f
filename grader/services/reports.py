"""What each role may see of a submission, as JSON-ready dicts.

candidate: status only · recruiter: scores and check outcomes ·
interviewer/admin: everything, including output, evidence, logs and timings.
"""

from __future__ import annotations

from typing import Any

from grader.models import GradingRun, Role, Submission
from grader.services import catalog
from grader.services.verdicts import rule_by_id


def iso(value) -> str | None:
    """A stored (naive UTC) time as ISO 8601 with a Z, as every API answer shows times."""
    return value.isoformat() + "Z" if value else None


def latest_run(submission: Submission) -> GradingRun | None:
    """The run whose result counts (the newest completed one), else the newest of any."""
    if submission.result_run is not None:
        return submission.result_run
    runs = list(submission.runs)
    completed = [r for r in runs if r.status == "completed"]
    return (completed or runs or [None])[-1]


def status_view(submission: Submission) -> dict[str, Any]:
    return {
        "id": submission.public_id,
        "assessment": submission.assessment.slug,
        "status": submission.status.value,
        "created_at": iso(submission.created_at),
        "updated_at": iso(submission.updated_at),
    }


def summary_view(submission: Submission) -> dict[str, Any]:
    run = latest_run(submission)
    view = status_view(submission)
    view.update(
        candidate={"name": submission.candidate_name, "email": submission.candidate_email},
        repo_url=submission.repo_url,
        ref=submission.ref,
        commit=submission.commit_sha,
        failure_code=submission.failure_code,
        failure_reason=submission.failure_reason,
        completed_at=iso(submission.completed_at),
        score=_score(run),
        verdict=verdict_view(submission, run),
    )
    return view


def verdict_view(submission: Submission, run: GradingRun | None) -> dict[str, str] | None:
    if run is None or not run.verdict:
        return None
    return rule_by_id(catalog.spec_or_none(submission.assessment.slug), run.verdict)


def _score(run: GradingRun | None) -> dict[str, Any] | None:
    if run is None or run.score_total is None:
        return None
    total = run.adjusted_total if run.adjusted_total is not None else run.score_total
    # "total" counts interviewers' overrides; "graded" is what the grader alone gave.
    return {"total": total, "graded": run.score_total, "max": run.score_max, "categories": run.categories}


def submission_view(submission: Submission, role: Role) -> dict[str, Any]:
    return summary_view(submission) if role.at_least(Role.RECRUITER) else status_view(submission)


def report(submission: Submission, role: Role) -> dict[str, Any]:
    """The grading report; interviewers and admins get the evidence too."""
    full = role.at_least(Role.INTERVIEWER)
    run = latest_run(submission)
    body = summary_view(submission)
    body["assessment"] = submission.assessment.slug
    body["assessment_version"] = submission.assessment.version
    body["attempts"] = submission.attempts
    body["critical_findings"] = list(run.critical_findings or []) if run else []
    spec = catalog.spec_or_none(submission.assessment.slug)
    checks = []
    spreads = ((run.score_spread if run else None) or {}).get("checks") or {}
    for check in run.checks if run else []:
        check_spec = spec.check(check.check_id) if spec else None
        item = {
            "id": check.check_id,
            "title": check.title,
            "severity": check_spec.severity if check_spec else None,
            "category": check.category,
            "outcome": check.outcome,
            "points": check.points,
            "max_points": check.max_points,
            "message": check.message,
        }
        if full:
            item["points_spread"] = spreads.get(check.check_id)
            item.update(contract=check.contract, duration_s=check.duration_s, output=check.output, evidence=check.evidence)
        checks.append(item)
    body["checks"] = checks
    body["signals"] = (run.signals if run else None) or {}
    body["candidate_account"] = account_view(run.candidate_account if run else None, full)
    # How firm the score is: the spread measured for this assessment version, None if never measured.
    body["score_spread"] = run.score_spread if run else None
    seconds = (run.stage_seconds if run else None) or {}
    body["timings"] = {k: seconds.get(k) for k in ("clone", "install", "test", "score", "total")}
    if full:
        body["timeline"] = [{"status": e.status, "at": iso(e.at), "detail": e.detail} for e in submission.events]
        body["annotations"] = [
            {"kind": a.kind, "check_id": a.check_id, "run_attempt": _attempt(submission, a.run_id), "body": a.body,
             "points": a.points, "by": a.author_label, "at": iso(a.created_at)}
            for a in submission.annotations
        ]
        body["run"] = (
            {
                "attempt": run.attempt,
                "status": run.status,
                "worker": run.worker_host,
                "image_id": run.image_id,
                "assessment_hash": run.assessment_hash,
                "suite_hash": run.suite_hash,
                "dependency_cache_hit": run.dependency_cache_hit,
                "stage_seconds": run.stage_seconds,
                "notes": run.notes,
                "logs": run.logs,
            }
            if run
            else None
        )
    return body


def account_view(stored: dict[str, Any] | None, full: bool) -> dict[str, Any] | None:
    """Whether the candidate wrote the account the brief asks for; its text for interviewers only.

    None when the assessment asks for none (or the run predates it).
    """
    if not isinstance(stored, dict):
        return None
    view = {"path": stored.get("path"), "present": bool(stored.get("present"))}
    if full:
        view.update(markdown=stored.get("text") or "", truncated=bool(stored.get("truncated")),
                    problem=stored.get("problem"))
    return view


def _attempt(submission: Submission, run_id: int | None) -> int | None:
    return next((r.attempt for r in submission.runs if r.id == run_id), None)
