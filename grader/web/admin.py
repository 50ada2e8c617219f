"""People: admins manage staff accounts (placeholder until built)."""

from flask import Blueprint, render_template

from grader.models import Role
from grader.web.common import html_errors, staff_required

bp = Blueprint("admin", __name__, url_prefix="/admin")
html_errors(bp)


@bp.get("/users")
@staff_required(Role.ADMIN)
def users():
    return render_template("pages/error.html", status=200, message="people")
