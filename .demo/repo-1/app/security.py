"""Password hashing, JWT issuing/verification and the authentication decorators."""

import math
import time
import uuid
from datetime import UTC, datetime
from functools import cache, wraps

import jwt
from flask import current_app, g, request
from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash

from .errors import ApiError, forbidden, unauthorized
from .extensions import db
from .models import RefreshToken, User, utcnow

ALGORITHM = "HS256"


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


@cache
def _dummy_hash() -> str:
    return hash_password("not-a-real-password")


def verify_password(user: User | None, password: str) -> bool:
    """Check a password; spends the same work when the user does not exist."""
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return False
    return check_password_hash(user.password_hash, password)


def _encode(claims: dict) -> str:
    return jwt.encode(claims, current_app.config["JWT_SECRET_KEY"], algorithm=ALGORITHM)


def issue_tokens(user: User, family: str | None = None) -> dict:
    """Create an access/refresh pair and record the refresh token (caller commits)."""
    cfg = current_app.config
    now = time.time()
    access_ttl = cfg["ACCESS_TOKEN_TTL_SECONDS"]
    refresh_ttl = cfg["REFRESH_TOKEN_TTL_SECONDS"]
    base = {"sub": str(user.id), "tid": user.tenant_id, "iat": int(now)}
    access = _encode(
        {**base, "type": "access", "role": user.role, "jti": uuid.uuid4().hex,
         "exp": math.ceil(now + access_ttl)}
    )
    refresh_jti = uuid.uuid4().hex
    refresh_exp = math.ceil(now + refresh_ttl)
    refresh = _encode({**base, "type": "refresh", "jti": refresh_jti, "exp": refresh_exp})
    db.session.add(
        RefreshToken(
            jti=refresh_jti,
            user_id=user.id,
            family=family or refresh_jti,
            expires_at=datetime.fromtimestamp(refresh_exp, UTC).replace(tzinfo=None),
        )
    )
    return {
        "access_token": access,
        "refresh_token": refresh,
        "token_type": "bearer",
        "expires_in": access_ttl,
    }


def decode_token(token: str, expected_type: str) -> tuple[dict, int, int]:
    """Verify signature, expiry and type. Returns (claims, user_id, tenant_id) or raises 401."""
    try:
        claims = jwt.decode(
            token,
            current_app.config["JWT_SECRET_KEY"],
            algorithms=[ALGORITHM],
            options={"require": ["exp", "iat", "sub", "jti"]},
        )
        if claims.get("type") != expected_type:
            raise ValueError("wrong token type")
        user_id, tenant_id = int(claims["sub"]), int(claims["tid"])
    except (jwt.PyJWTError, KeyError, TypeError, ValueError):
        raise unauthorized("Invalid or expired token") from None
    return claims, user_id, tenant_id


def find_user(user_id: int, tenant_id: int) -> User | None:
    return db.session.scalar(select(User).where(User.id == user_id, User.tenant_id == tenant_id))


def revoke_refresh(jti: str, user_id: int) -> bool:
    """Revoke one live refresh token; True only for the caller that actually revoked it."""
    result = db.session.execute(
        update(RefreshToken)
        .where(
            RefreshToken.jti == jti,
            RefreshToken.user_id == user_id,
            RefreshToken.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
    )
    return result.rowcount == 1


def revoke_family(family: str) -> None:
    db.session.execute(
        update(RefreshToken)
        .where(RefreshToken.family == family, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def login_required(view):
    """Authenticate the bearer access token, then count the request against its tenant."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise unauthorized("Missing bearer token")
        _, user_id, tenant_id = decode_token(token.strip(), "access")
        user = find_user(user_id, tenant_id)
        if user is None:
            raise unauthorized("Invalid or expired token")
        retry_after = current_app.extensions["rate_limiter"].hit(tenant_id)
        if retry_after is not None:
            raise ApiError(429, "rate_limited", "Too many requests for this tenant",
                           headers={"Retry-After": str(retry_after)})
        g.user = user
        return view(*args, **kwargs)

    return wrapper


def require_admin() -> None:
    if g.user.role != "admin":
        raise forbidden("Admin role required")

