"""Helpers shared by the model modules."""

import secrets
from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def public_id(prefix: str, nbytes: int) -> str:
    """An unguessable id shown in URLs, letters and digits only after its prefix (``sub_…``, ``inv_…``)."""
    return f"{prefix}_" + secrets.token_urlsafe(nbytes).replace("-", "x").replace("_", "y")
