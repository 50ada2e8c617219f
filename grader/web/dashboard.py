"""Recruiter dashboard (placeholder until built)."""

from flask import Blueprint, render_template

from grader.models import Role
from grader.web.common import html_errors, staff_required

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
html_errors(bp)


@bp.get("/")
@staff_required(Role.RECRUITER)
def index():
    return render_template("pages/error.html", status=200, message="dashboard")
