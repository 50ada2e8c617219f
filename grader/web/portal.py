"""Candidate portal (placeholder until built)."""

from flask import Blueprint

from grader.web.common import html_errors

bp = Blueprint("portal", __name__, url_prefix="/i")
html_errors(bp)


@bp.get("/<token>")
def invitation(token: str):
    return "portal"
