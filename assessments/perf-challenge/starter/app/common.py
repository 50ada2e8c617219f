"""Helpers shared by the views: errors, argument parsing, number and time formats."""

from datetime import datetime, timezone

from flask import request

INT32_MAX = 2**31 - 1
MAX_PER_PAGE = 100
MAX_TOP_BOOKS = 50


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", f"{what} not found")


def invalid(message: str) -> ApiError:
    return ApiError(422, "validation_error", message)


def average(total: int, count: int) -> float | None:
    """Mean rating rounded half up to 2 decimals (exact integer arithmetic); None if no reviews."""
    if not count:
        return None
    return (200 * total + count) // (2 * count) / 100


def iso(moment: datetime) -> str:
    """RFC 3339 in UTC with a trailing Z, e.g. 2024-05-01T12:00:00Z."""
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def int_arg(name: str, default: int | None = None, *, maximum: int | None = None) -> int | None:
    """A positive integer query argument; absent or empty gives default, above maximum clamps."""
    raw = request.args.get(name, "")
    if raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
        raise invalid(f"{name} must be a positive integer")
    value = int(raw)
    return min(value, maximum) if maximum is not None else value


def pagination() -> tuple[int, int]:
    return int_arg("page", 1), int_arg("per_page", 20, maximum=MAX_PER_PAGE)


def is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def json_object() -> dict:
    data = request.get_json(force=True, silent=True)
    if not isinstance(data, dict):
        raise invalid("the request body must be a JSON object")
    return data


def valid_text(value, name: str, max_length: int) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > max_length:
        raise invalid(f"{name} must be a non-blank string of at most {max_length} characters")
    return value
