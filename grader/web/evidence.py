"""Interviewer evidence page (placeholder until built)."""

from flask import Blueprint

from grader.web.common import html_errors

bp = Blueprint("evidence", __name__, url_prefix="/submissions")
html_errors(bp)
