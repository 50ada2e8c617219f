"""Invitations: a hiring team's system invites candidates as the dashboard does."""

from __future__ import annotations

from flask import jsonify, request

from grader.api.auth import current_key, require
from grader.api.schemas import InvitationIn, parse
from grader.api.v1.blueprint import bp
from grader.models import Role
from grader.services import invitations
from grader.services.links import invitation_url


@bp.post("/invitations")
@require(Role.RECRUITER)
def create_invitation():
    body = parse(InvitationIn)
    issued = invitations.invite(
        invitations.NewInvitation(body.assessment, body.candidate_name, body.candidate_email,
                                  body.deadline or invitations.default_deadline(), body.attempts_allowed),
        by_key=current_key(),
    )
    view = invitations.view(issued.invitation)
    view["url"] = invitation_url(issued.token)  # shown once: only its hash is stored
    return jsonify(view), 201


@bp.get("/invitations")
@require(Role.RECRUITER)
def list_invitations():
    items = [invitations.view(i) for i in invitations.list_invitations(request.args.get("assessment"))]
    return jsonify({"items": items, "total": len(items)})


@bp.get("/invitations/<public_id>")
@require(Role.RECRUITER)
def get_invitation(public_id: str):
    return jsonify(invitations.view(invitations.by_public_id(public_id)))


@bp.delete("/invitations/<public_id>")
@require(Role.RECRUITER)
def revoke_invitation(public_id: str):
    invitations.revoke(invitations.by_public_id(public_id))
    return "", 204
