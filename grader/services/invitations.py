"""Invitations: a recruiter invites a candidate; the candidate acts only through the link.

The link holds a 32-byte secret; only its SHA-256 is stored, so the database
cannot give links away. A revoked invitation, a passed deadline or used-up
attempts close the submit form; a failure that was ours does not use an attempt.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from grader.errors import OUR_FAILURE_CODES, ApiError, Forbidden, Invalid, NotFound
from grader.extensions import db
from grader.models import ApiKey, Invitation, Submission, User
from grader.models._base import utcnow
from grader.services import catalog
from grader.services.reports import iso
from grader.services.users import normalise_email

OUR_FAILURES = tuple(sorted(c.value for c in OUR_FAILURE_CODES))  # the grader's fault: the attempt is given back
MAX_ATTEMPTS = 20


class Gone(ApiError):
    status, code = 410, "invitation_closed"


@dataclass(frozen=True)
class NewInvitation:
    assessment: str
    candidate_name: str
    candidate_email: str
    deadline: datetime  # naive UTC
    attempts_allowed: int = 3


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    token: str  # the secret in the link; shown once, never stored


@dataclass(frozen=True)
class InvitationState:
    attempts_used: int
    attempts_left: int
    deadline_passed: bool
    in_progress: Submission | None
    can_submit: bool
    reason: str  # why the form is closed, in words ("" when open)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite(data: NewInvitation, *, by_user: User | None = None, by_key: ApiKey | None = None) -> IssuedInvitation:
    spec = catalog.spec_for(data.assessment)
    name = data.candidate_name.strip()
    if not name or len(name) > 200:
        raise Invalid("the candidate's name is required (at most 200 characters)", details={"field": "candidate_name"})
    if not 1 <= data.attempts_allowed <= MAX_ATTEMPTS:
        raise Invalid(f"attempts must be between 1 and {MAX_ATTEMPTS}", details={"field": "attempts_allowed"})
    if data.deadline <= utcnow():
        raise Invalid("the deadline must be in the future", details={"field": "deadline"})
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        token_hash=_hash(token), assessment_slug=spec.slug, candidate_name=name,
        candidate_email=normalise_email(data.candidate_email), deadline=data.deadline.replace(tzinfo=None, microsecond=0),
        attempts_allowed=data.attempts_allowed, created_by_user_id=by_user.id if by_user else None,
        created_by_key_id=by_key.id if by_key else None,
    )
    db.session.add(invitation)
    db.session.commit()
    return IssuedInvitation(invitation, token)


def default_deadline(days: int = 7) -> datetime:
    return (utcnow() + timedelta(days=days)).replace(second=0, microsecond=0)


def by_token(token: str) -> Invitation:
    """The invitation behind a link; unknown links are 404, revoked ones 410."""
    if not token or len(token) > 100:
        raise NotFound("this invitation link is not valid")
    invitation = db.session.scalar(select(Invitation).where(Invitation.token_hash == _hash(token)))
    if invitation is None:
        raise NotFound("this invitation link is not valid")
    if invitation.revoked_at is not None:
        raise Gone("this invitation was withdrawn by the hiring team")
    return invitation


def by_public_id(public_id: str) -> Invitation:
    invitation = db.session.scalar(select(Invitation).where(Invitation.public_id == public_id))
    if invitation is None:
        raise NotFound(f"no invitation {public_id}")
    return invitation


def mark_opened(invitation: Invitation) -> None:
    if invitation.opened_at is None:
        invitation.opened_at = utcnow()
        db.session.commit()


def state(invitation: Invitation, now: datetime | None = None) -> InvitationState:
    now = now or utcnow()
    subs = list(invitation.submissions)
    used = sum(1 for s in subs if s.failure_code not in OUR_FAILURES)
    left = max(invitation.attempts_allowed - used, 0)
    running = next((s for s in reversed(subs) if not s.status.terminal), None)
    passed = now >= invitation.deadline
    if invitation.revoked_at is not None:
        reason = "This invitation was withdrawn."
    elif passed:
        reason = "The deadline has passed, so submissions are closed."
    elif left == 0:
        reason = f"All {invitation.attempts_allowed} attempts have been used."
    elif running is not None:
        reason = "Your latest submission is still being graded; you can submit again when it finishes."
    else:
        reason = ""
    return InvitationState(used, left, passed, running, reason == "", reason)


def submit(invitation: Invitation, repo_url: str, ref: str) -> Submission:
    """Submit a repository through the invitation (refused when the form is closed)."""
    from grader.services import submissions

    db.session.refresh(invitation)
    current = state(invitation)
    if not current.can_submit:
        raise Forbidden(current.reason, code="submission_closed")
    receipt = submissions.submit(
        submissions.NewSubmission(invitation.assessment_slug, invitation.candidate_name, invitation.candidate_email,
                                  repo_url, ref or "HEAD"),
        invitation=invitation,
    )
    return receipt.submission


def revoke(invitation: Invitation) -> Invitation:
    if invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
        db.session.commit()
    return invitation


def list_invitations(assessment: str | None = None) -> list[Invitation]:
    query = select(Invitation).order_by(Invitation.id.desc())
    if assessment:
        query = query.where(Invitation.assessment_slug == assessment)
    return list(db.session.scalars(query))


def view(invitation: Invitation) -> dict:
    """The invitation as the API shows it (never the link's secret: only its hash is stored)."""
    current = state(invitation)
    return {
        "id": invitation.public_id,
        "assessment": invitation.assessment_slug,
        "candidate": {"name": invitation.candidate_name, "email": invitation.candidate_email},
        "deadline": iso(invitation.deadline),
        "attempts_allowed": invitation.attempts_allowed,
        "attempts_used": current.attempts_used,
        "status": "revoked" if invitation.revoked_at else "expired" if current.deadline_passed else "open",
        "opened_at": iso(invitation.opened_at),
        "created_at": iso(invitation.created_at),
        "submissions": [s.public_id for s in invitation.submissions],
    }
