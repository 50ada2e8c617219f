"""API-key authentication and role checks for routes."""

from __future__ import annotations

from functools import wraps

from flask import g, request

from grader.errors import Forbidden
from grader.extensions import db
from grader.models import ApiKey, Role
from grader.models._base import utcnow
from grader.services import keys


def _token() -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.headers.get("X-API-Key")


def require(role: Role):
    """Let the request through only with a live key of at least ``role``."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            key = keys.authenticate(_token())
            if not key.role_enum.at_least(role):
                raise Forbidden(f"this needs the {role.value} role or higher")
            key.last_used_at = utcnow()
            db.session.commit()
            g.api_key = key
            return view(*args, **kwargs)

        return wrapper

    return decorator


def current_key() -> ApiKey:
    return g.api_key
