"""Tenant sign-up: creates the tenant and its first admin."""

from flask import Blueprint
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..errors import conflict
from ..extensions import db
from ..models import Tenant, User
from ..security import hash_password
from ..validation import email_field, json_body, password_field, text_field

bp = Blueprint("tenants", __name__)


@bp.post("/tenants")
def create_tenant():
    data = json_body()
    name = text_field(data, "name", 100)
    email = email_field(data, "admin_email")
    password_hash = hash_password(password_field(data, "admin_password"))
    if db.session.scalar(select(Tenant.id).where(Tenant.name == name)) is not None:
        raise conflict("A tenant with this name already exists")
    try:
        tenant = Tenant(name=name)
        db.session.add(tenant)
        db.session.flush()
        admin = User(tenant_id=tenant.id, email=email, password_hash=password_hash, role="admin")
        db.session.add(admin)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise conflict("A tenant with this name already exists") from None
    return {"id": tenant.id, "name": tenant.name, "admin": admin.to_dict()}, 201
