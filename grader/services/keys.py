"""API keys: made, checked and revoked here; only a hash of the secret is stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select

from grader.errors import Invalid, NotFound, Unauthorized
from grader.extensions import db
from grader.models import ApiKey, Role
from grader.models._base import utcnow

PREFIX = "gk"


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    token: str  # shown once; never stored


def _hash(secret: str) -> str:
    # The secret is 32 random bytes, so a fast hash is enough: no dictionary to attack.
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(role: str, label: str = "", submission_id: int | None = None) -> IssuedKey:
    try:
        role_enum = Role(role)
    except ValueError:
        raise Invalid(f"role must be one of {[r.value for r in Role if r is not Role.CANDIDATE]}") from None
    if role_enum is Role.CANDIDATE and submission_id is None:
        # Shared candidate keys let one caller queue gradings under any name; candidates use invitations.
        raise Invalid("candidates do not get API keys: invite them (POST /api/v1/invitations)")
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    key = ApiKey(prefix=prefix, secret_hash=_hash(secret), role=role_enum.value, label=label, submission_id=submission_id)
    db.session.add(key)
    db.session.flush()
    return IssuedKey(key, f"{PREFIX}_{prefix}_{secret}")


def authenticate(token: str | None) -> ApiKey:
    """Return the live key for ``token`` or raise Unauthorized (same message for every failure)."""
    failure = Unauthorized("a valid API key is required (Authorization: Bearer <key>)")
    if not token:
        raise failure
    parts = token.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        raise failure
    key = db.session.scalar(select(ApiKey).where(ApiKey.prefix == parts[1]))
    if key is None or key.revoked_at is not None or not hmac.compare_digest(key.secret_hash, _hash(parts[2])):
        raise failure
    return key


def list_keys() -> list[ApiKey]:
    return list(db.session.scalars(select(ApiKey).where(ApiKey.submission_id.is_(None)).order_by(ApiKey.id)))


def revoke_key(key_id: int) -> ApiKey:
    key = db.session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"no API key {key_id}")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
    db.session.commit()
    return key
