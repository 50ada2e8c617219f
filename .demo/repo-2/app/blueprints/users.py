"""Users of the caller's tenant."""

from flask import Blueprint, g
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from ..errors import conflict, forbidden, not_found
from ..extensions import db
from ..models import Project, RefreshToken, Task, User
from ..security import hash_password, login_required, require_admin
from ..validation import (
    MISSING,
    email_field,
    json_body,
    no_content,
    paginate,
    password_field,
    role_field,
)

bp = Blueprint("users", __name__)


def tenant_user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise not_found("User")
    return user


@bp.get("/users/me")
@login_required
def me():
    return g.user.to_dict()


@bp.get("/users")
@login_required
def list_users():
    require_admin()
    return paginate(select(User).where(User.tenant_id == g.user.tenant_id).order_by(User.id))


@bp.post("/users")
@login_required
def create_user():
    require_admin()
    data = json_body()
    email = email_field(data, "email")
    password = password_field(data, "password")
    role = role_field(data, default="member")
    taken = select(User.id).where(User.tenant_id == g.user.tenant_id, User.email == email)
    if db.session.scalar(taken) is not None:
        raise conflict("A user with this email already exists")
    user = User(tenant_id=g.user.tenant_id, email=email, role=role,
                password_hash=hash_password(password))
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise conflict("A user with this email already exists") from None
    return user.to_dict(), 201


@bp.get("/users/<id:user_id>")
@login_required
def get_user(user_id: int):
    user = tenant_user_or_404(user_id)
    if g.user.role != "admin" and user.id != g.user.id:
        raise forbidden()
    return user.to_dict()


@bp.patch("/users/<id:user_id>")
@login_required
def update_user(user_id: int):
    user = tenant_user_or_404(user_id)
    is_admin = g.user.role == "admin"
    if not is_admin and user.id != g.user.id:
        raise forbidden()
    data = json_body()
    if not is_admin and "role" in data and data["role"] != user.role:
        raise forbidden("Only admins can change roles")
    role = role_field(data) if is_admin else MISSING
    password = password_field(data, "password") if "password" in data else MISSING
    if role is not MISSING:
        user.role = role
    if password is not MISSING:
        user.password_hash = hash_password(password)
    db.session.commit()
    return user.to_dict()


@bp.delete("/users/<id:user_id>")
@login_required
def delete_user(user_id: int):
    user = tenant_user_or_404(user_id)
    require_admin()
    db.session.execute(delete(RefreshToken).where(RefreshToken.user_id == user.id))
    db.session.execute(
        update(Project).where(Project.created_by == user.id).values(created_by=None)
    )
    db.session.execute(update(Task).where(Task.assignee_id == user.id).values(assignee_id=None))
    db.session.delete(user)
    db.session.commit()
    return no_content()
