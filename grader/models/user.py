"""Staff accounts (recruiter, interviewer, admin) who sign in to the web app.

Passwords are stored as Werkzeug's scrypt hash (slow and salted). ``session_token``
is what the session cookie names instead of the row id, so changing a password,
a role or deactivating an account ends every session at once.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from grader.extensions import db
from grader.models._base import utcnow
from grader.models.apikey import Role

STAFF_ROLES = (Role.RECRUITER, Role.INTERVIEWER, Role.ADMIN)


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token, unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    def get_id(self) -> str:
        return self.session_token

    @property
    def display(self) -> str:
        return self.name or self.email
