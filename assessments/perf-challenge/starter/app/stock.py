"""Stock look-ups against the external stock service."""

import httpx
from flask import current_app

from .common import is_int


def fetch_stock(isbn: str) -> int | None:
    """The in_stock integer for isbn, or None when the service errors."""
    base = current_app.config["EXTERNAL_API_URL"]
    if not base:
        return None
    try:
        response = httpx.get(f"{base}/stock/{isbn}", timeout=None)
        data = response.json() if response.is_success else None
    except (httpx.HTTPError, ValueError):
        return None
    value = data.get("in_stock") if isinstance(data, dict) else None
    return value if is_int(value) else None
