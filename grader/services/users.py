"""Staff accounts: created, checked at sign-in, changed and deactivated here."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from grader.errors import Invalid, NotFound
from grader.extensions import db
from grader.models import STAFF_ROLES, Role, User
from grader.models._base import utcnow
from grader.models.user import new_session_token

MIN_PASSWORD = 12
# Compared against when the e-mail is unknown, so a wrong e-mail costs the same time as a wrong password.
_DUMMY_HASH = generate_password_hash("grader-timing-equaliser")


@dataclass(frozen=True)
class NewUser:
    email: str
    role: str
    password: str
    name: str = ""


def _role(value: str) -> Role:
    try:
        role = Role(value)
    except ValueError:
        role = None
    if role not in STAFF_ROLES:
        raise Invalid(f"role must be one of {[r.value for r in STAFF_ROLES]}", details={"field": "role"})
    return role


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"the password must have at least {MIN_PASSWORD} characters", details={"field": "password"})


def normalise_email(email: str) -> str:
    value = (email or "").strip().lower()
    local, _, domain = value.partition("@")
    if not local or "." not in domain or any(c.isspace() for c in value) or len(value) > 320:
        raise Invalid("must be an e-mail address", details={"field": "email"})
    return value


def create_user(data: NewUser) -> User:
    email = normalise_email(data.email)
    role = _role(data.role)
    _check_password(data.password)
    if db.session.scalar(select(User).where(func.lower(User.email) == email)) is not None:
        raise Invalid(f"{email} already has an account", details={"field": "email"})
    user = User(email=email, name=data.name.strip(), role=role.value, password_hash=generate_password_hash(data.password))
    db.session.add(user)
    db.session.commit()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active account for these credentials, or None (same cost whether the e-mail exists or not)."""
    user = db.session.scalar(select(User).where(User.email == (email or "").strip().lower()))
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or "") or not user.active:
        return None
    user.last_login_at = utcnow()
    db.session.commit()
    return user


def by_session_token(token: str) -> User | None:
    user = db.session.scalar(select(User).where(User.session_token == token))
    return user if user is not None and user.active else None


def get(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


def list_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.email)))


def update(user_id: int, *, role: str | None = None, active: bool | None = None, password: str | None = None,
           acting: User | None = None) -> User:
    """Change a role, (de)activate or set a password; every change ends the account's sessions."""
    user = get(user_id)
    if acting is not None and acting.id == user.id and (active is False or (role and role != user.role)):
        raise Invalid("you cannot demote or deactivate your own account")
    if role is not None:
        user.role = _role(role).value
    if active is not None:
        user.active = active
    if password:
        _check_password(password)
        user.password_hash = generate_password_hash(password)
    if role is not None or active is not None or password:
        user.session_token = new_session_token()
    db.session.commit()
    return user


def count_admins() -> int:
    return db.session.scalar(select(func.count()).select_from(User).where(User.role == Role.ADMIN.value, User.active)) or 0
