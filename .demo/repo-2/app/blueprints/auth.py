"""Login, refresh-token rotation and logout."""

from flask import Blueprint, g
from sqlalchemy import select

from ..errors import ApiError, invalid, unauthorized
from ..extensions import db
from ..models import RefreshToken, User
from ..security import (
    decode_token,
    find_user,
    issue_tokens,
    login_required,
    revoke_family,
    revoke_refresh,
    verify_password,
)
from ..validation import json_body, no_content, parse_id

bp = Blueprint("auth", __name__)


@bp.post("/auth/login")
def login():
    data = json_body()
    tenant_id = parse_id(data.get("tenant_id"))
    email, password = data.get("email"), data.get("password")
    user = None
    if tenant_id is not None and isinstance(email, str):
        user = db.session.scalar(
            select(User).where(User.tenant_id == tenant_id, User.email == email.strip().lower())
        )
    if not verify_password(user, password if isinstance(password, str) else ""):
        raise unauthorized("Invalid credentials")
    tokens = issue_tokens(user)
    db.session.commit()
    return tokens


@bp.post("/auth/refresh")
def refresh():
    token = json_body().get("refresh_token")
    if not isinstance(token, str):
        raise unauthorized("Invalid or expired refresh token")
    claims, user_id, tenant_id = decode_token(token, "refresh")
    record = db.session.get(RefreshToken, claims["jti"])
    if record is None or record.user_id != user_id:
        raise unauthorized("Invalid or expired refresh token")
    if record.revoked_at is not None:
        # Replay of a rotated or revoked token: treat the whole chain as stolen.
        revoke_family(record.family)
        db.session.commit()
        raise unauthorized("Invalid or expired refresh token")
    user = find_user(user_id, tenant_id)
    if user is None or not revoke_refresh(record.jti, user_id):
        db.session.rollback()
        raise unauthorized("Invalid or expired refresh token")
    tokens = issue_tokens(user, family=record.family)
    db.session.commit()
    return tokens


@bp.post("/auth/logout")
@login_required
def logout():
    token = json_body().get("refresh_token")
    if not isinstance(token, str) or not token:
        raise invalid("refresh_token", "refresh_token is required")
    try:
        claims, user_id, _ = decode_token(token, "refresh")
    except ApiError:  # garbage or expired: there is nothing left to revoke
        return no_content()
    if user_id == g.user.id:
        revoke_refresh(claims["jti"], user_id)
        db.session.commit()
    return no_content()
