"""Request parsing helpers: JSON bodies, fields, ids and pagination."""

import re

from flask import Response, current_app, request
from sqlalchemy import Select, func, select

from .errors import ApiError, invalid
from .extensions import db
from .models import ROLES, TASK_STATUSES

MISSING = object()
MAX_ID = 2**63 - 1
MAX_PER_PAGE = 100
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+$")


def json_body() -> dict:
    data = request.get_json(force=True, silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "Request body must be a JSON object")
    return data


def text_field(data: dict, field: str, max_len: int, *, min_len: int = 1,
               required: bool = True, nullable: bool = False):
    """A string of min_len..max_len characters (blank strings count as empty)."""
    if field not in data:
        if required:
            raise invalid(field, f"{field} is required")
        return MISSING
    value = data[field]
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise invalid(field, f"{field} must be a string")
    if len(value) > max_len or len(value.strip()) < min_len:
        raise invalid(field, f"{field} must be {min_len} to {max_len} characters")
    return value


def email_field(data: dict, field: str) -> str:
    value = data.get(field)
    if not isinstance(value, str) or len(value) > 254 or not EMAIL_RE.match(value.strip()):
        raise invalid(field, f"{field} must be a valid email address")
    return value.strip().lower()


def password_field(data: dict, field: str) -> str:
    value = data.get(field)
    if not isinstance(value, str) or not 8 <= len(value) <= 128:
        raise invalid(field, f"{field} must be a string of 8 to 128 characters")
    return value


def choice_field(data: dict, field: str, choices: tuple[str, ...], default=MISSING):
    if field not in data:
        return default
    value = data[field]
    if value not in choices:
        raise invalid(field, f"{field} must be one of: {', '.join(choices)}")
    return value


def role_field(data: dict, default=MISSING):
    return choice_field(data, "role", ROLES, default)


def status_field(data: dict, default=MISSING):
    return choice_field(data, "status", TASK_STATUSES, default)


def parse_id(value) -> int | None:
    """An id sent in a body: a positive integer or a string of digits."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, int) and 1 <= value <= MAX_ID:
        return value
    return None


def _query_int(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid(name, f"{name} must be an integer") from None
    if value < 1:
        raise invalid(name, f"{name} must be at least 1")
    return value


def paginate(stmt: Select) -> dict:
    """Run `stmt` one page at a time (?page=, ?per_page= clamped to 100)."""
    page = _query_int("page", 1)
    per_page = min(_query_int("per_page", 20), MAX_PER_PAGE)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    offset = (page - 1) * per_page
    rows = [] if offset >= total else db.session.scalars(stmt.limit(per_page).offset(offset))
    return {
        "items": [row.to_dict() for row in rows],
        "page": page,
        "per_page": per_page,
        "total": total,
    }


def no_content() -> Response:
    response = current_app.response_class(status=204)
    response.headers.pop("Content-Type", None)
    return response
