"""People: admins create staff accounts, change roles, (de)activate them and set passwords.

Every change goes through ``grader.services.users``, which ends the account's sessions
and refuses to let an admin demote or deactivate themselves.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from grader.errors import Invalid
from grader.models import STAFF_ROLES, Role
from grader.services import users
from grader.web.common import html_errors, staff_required

bp = Blueprint("admin", __name__, url_prefix="/admin")
html_errors(bp)

_PASSWORD_LENGTH = Length(min=users.MIN_PASSWORD, max=500,
                          message=f"must have at least {users.MIN_PASSWORD} characters (and at most 500)")
ROLE_CHOICES = [SelectChoice(r.value, r.value.capitalize()) for r in STAFF_ROLES]


class NewUserForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=320)])
    name = StringField("Name", validators=[Length(max=200)])
    role = SelectField("Role", choices=ROLE_CHOICES)
    password = PasswordField("Initial password", validators=[DataRequired(), _PASSWORD_LENGTH])
    submit = SubmitField("Create account")


class UpdateUserForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES)
    active = SelectField("Account", choices=[SelectChoice("yes", "Active"), SelectChoice("no", "Deactivated")])
    password = PasswordField("New password", validators=[Optional(), _PASSWORD_LENGTH])
    submit = SubmitField("Save")


def _errors(form: FlaskForm) -> str:
    return "; ".join(f"{getattr(form, k).label.text}: {' '.join(v)}" for k, v in form.errors.items())


def _page(form: NewUserForm, status: int = 200):
    return render_template("admin/users.html", form=form, people=users.list_users(), edit_form=UpdateUserForm()), status


@bp.get("/users", endpoint="users")
@staff_required(Role.ADMIN)
def users_page():
    return _page(NewUserForm(role=Role.RECRUITER.value))


@bp.post("/users")
@staff_required(Role.ADMIN)
def create():
    form = NewUserForm()
    if not form.validate_on_submit():
        flash(_errors(form), "error")
        return _page(form, 422)
    try:
        user = users.create_user(users.NewUser(form.email.data, form.role.data, form.password.data, form.name.data or ""))
    except Invalid as exc:
        flash(exc.message, "error")
        return _page(form, 422)
    flash(f"Created {user.role} {user.email}. Give them the password through a separate channel.", "success")
    return redirect(url_for(".users"))


@bp.post("/users/<int:user_id>")
@staff_required(Role.ADMIN)
def update(user_id: int):
    form, user = UpdateUserForm(), users.get(user_id)
    if not form.validate_on_submit():
        flash(_errors(form), "error")
        return redirect(url_for(".users"))
    try:
        changed = _apply(form, user)
    except Invalid as exc:
        flash(exc.message, "error")
        return redirect(url_for(".users"))
    flash(f"Saved {user.email}; their open sessions have ended." if changed else f"Nothing changed for {user.email}.",
          "success")
    return redirect(url_for(".users"))


def _apply(form: UpdateUserForm, user) -> bool:
    """Pass only what changed: any change ends the account's sessions, so an unchanged save must not."""
    role = form.role.data if form.role.data != user.role else None
    active = form.active.data == "yes"
    active = active if active != user.active else None
    if role is None and active is None and not form.password.data:
        return False
    users.update(user.id, role=role, active=active, password=form.password.data or None, acting=current_user)
    return True
