"""What every page blueprint shares: role checks and HTML error pages."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, render_template
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from grader.errors import ApiError
from grader.extensions import login_manager
from grader.models import Role
from grader.services.reviews import Author


def staff_required(role: Role):
    """Signed-in staff of at least ``role``; others are sent to sign in (anonymous) or get 403."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.role_enum.at_least(role):
                return render_template("pages/error.html", status=403,
                                       message=f"This page needs the {role.value} role."), 403
            return view(*args, **kwargs)

        return wrapper

    return decorator


def author() -> Author:
    return Author(user=current_user)


def html_errors(bp: Blueprint) -> None:
    """Errors raised by this blueprint's pages render as pages, not as the API's JSON."""

    @bp.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return render_template("pages/error.html", status=exc.status, message=exc.message), exc.status

    @bp.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        message = exc.description or exc.name
        if exc.code == 429:
            message = "Too many attempts. Wait a minute and try again."
        return render_template("pages/error.html", status=exc.code, message=message), exc.code
