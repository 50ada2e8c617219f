"""Submissions: submit (candidates), status (receipts), scores (recruiters), reports (interviewers)."""

from __future__ import annotations

from flask import jsonify, request, url_for

from grader.api.auth import current_key, require
from grader.api.schemas import SubmissionIn, page_args, parse
from grader.api.v1.blueprint import bp
from grader.errors import NotFound
from grader.models import Role, Submission
from grader.services import reports, reviews
from grader.services import submissions as service


def _visible(public_id: str) -> Submission:
    """Find a submission the caller may see; others' submissions look missing to candidates."""
    submission = service.get_by_public_id(public_id)
    key = current_key()
    if key.role_enum is Role.CANDIDATE:
        own = key.submission_id == submission.id or (key.submission_id is None and submission.created_by_key_id == key.id)
        if not own:
            raise NotFound(f"no submission {public_id}")
    return submission


@bp.post("/submissions")
@require(Role.RECRUITER)
def create_submission():
    """Submit on a candidate's behalf (integrations); candidates themselves submit through their invitation."""
    key = current_key()
    body = parse(SubmissionIn)
    receipt = service.submit(service.NewSubmission(**body.model_dump()), created_by=key)
    location = url_for("api_v1.get_submission", public_id=receipt.submission.public_id)
    payload = reports.status_view(receipt.submission)
    payload["receipt"] = receipt.receipt_token
    payload["links"] = {"self": location}
    return jsonify(payload), 202, {"Location": location}


@bp.get("/submissions")
@require(Role.RECRUITER)
def list_submissions():
    page, per_page = page_args()
    rows, total = service.list_submissions(page, per_page, request.args.get("assessment"))
    items = [reports.summary_view(s) for s in rows]
    return jsonify({"items": items, "page": page, "per_page": per_page, "total": total})


@bp.get("/submissions/<public_id>")
@require(Role.CANDIDATE)
def get_submission(public_id: str):
    return jsonify(reports.submission_view(_visible(public_id), current_key().role_enum))


@bp.get("/submissions/<public_id>/report")
@require(Role.RECRUITER)
def get_report(public_id: str):
    return jsonify(reports.report(_visible(public_id), current_key().role_enum))


@bp.post("/submissions/<public_id>/regrade")
@require(Role.INTERVIEWER)
def regrade(public_id: str):
    """Queue a new run; the reason (optional JSON {"reason": ...}) is recorded with the key that asked."""
    body = request.get_json(silent=True) if request.content_length else None
    reason = (body or {}).get("reason") if isinstance(body, dict) else None
    key = current_key()
    submission = reviews.regrade(_visible(public_id), str(reason or "requested through the API"),
                                 reviews.Author(label=f"API key {key.prefix} ({key.label or key.role})"))
    return jsonify(reports.status_view(submission)), 202
