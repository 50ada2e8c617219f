"""The evidence page of one submission, its charts, and interviewers' notes, overrides and regrades.

Routes parse, call ``services.evidence`` / ``services.reviews``, and render; what each role
may see is decided by the page model, not here. Actions redirect back (post/redirect/get);
invalid input re-renders the page with the message (422).
"""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import FloatField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from grader.errors import ApiError
from grader.extensions import db, talisman
from grader.models import Role, Submission
from grader.services import charts, evidence, reports, reviews, submissions
from grader.services.evidence_perf import latency_series, timeline
from grader.services.reviews import MAX_TEXT
from grader.web.common import author, html_errors, staff_required

bp = Blueprint("evidence", __name__, url_prefix="/submissions")
html_errors(bp)

# An SVG opened on its own is a document: no script at all, only its own inline styles.
SVG_CSP = {"default-src": "'none'", "style-src": "'unsafe-inline'"}


class NoteForm(FlaskForm):
    check_id = SelectField("About", validators=[Optional()], validate_choice=True)
    body = TextAreaField("Note", validators=[DataRequired("a note is required"), Length(max=MAX_TEXT)])


class OverrideForm(FlaskForm):
    check_id = SelectField("Check", validators=[DataRequired("choose a check")])
    points = FloatField("Points", validators=[InputRequired("points are required"), NumberRange(min=0)])
    reason = TextAreaField("Reason", validators=[DataRequired("a reason is required"), Length(max=MAX_TEXT)])


class RegradeForm(FlaskForm):
    reason = StringField("Reason", validators=[DataRequired("a reason is required"), Length(max=MAX_TEXT)])


def _forms(model: evidence.Page, **posted) -> dict:
    forms = {"note_form": NoteForm(formdata=None), "override_form": OverrideForm(formdata=None),
             "regrade_form": RegradeForm(formdata=None), **posted}
    choices = [SelectChoice(value, label) for value, label in model.check_choices]
    forms["note_form"].check_id.choices = [SelectChoice("", "the whole submission"), *choices]
    forms["override_form"].check_id.choices = choices
    return forms


def _render(submission: Submission, status: int = 200, errors: list[str] | None = None, **posted):
    model = evidence.page(submission, current_user.role_enum)
    return render_template("evidence/submission.html", page=model, errors=errors or [],
                           **_forms(model, **posted)), status


@bp.get("/<public_id>")
@staff_required(Role.RECRUITER)
def submission(public_id: str):
    return _render(submissions.get_by_public_id(public_id))


def _act(public_id: str, form: FlaskForm, name: str, action, done: str):
    """Validate ``form``, run ``action(submission, form)``, then redirect back; or re-render with the errors."""
    sub = submissions.get_by_public_id(public_id)
    if "check_id" in form:
        run = reports.latest_run(sub)
        form["check_id"].choices = [SelectChoice(""), *(SelectChoice(c.check_id) for c in (run.checks if run else []))]
    if form.validate_on_submit():
        try:
            action(sub, form)
        except ApiError as exc:
            db.session.rollback()
            return _render(sub, 422, [exc.message], **{name: form})
        flash(done, "success")
        return redirect(url_for(".submission", public_id=public_id) + "#reviews")
    errors = [f"{form[f].label.text}: {m}" for f, messages in form.errors.items() for m in messages]
    return _render(sub, 422, errors, **{name: form})


@bp.post("/<public_id>/notes")
@staff_required(Role.INTERVIEWER)
def add_note(public_id: str):
    return _act(public_id, NoteForm(), "note_form",
                lambda s, f: reviews.add_note(s, f.check_id.data or None, f.body.data, author()), "Note added.")


@bp.post("/<public_id>/overrides")
@staff_required(Role.INTERVIEWER)
def add_override(public_id: str):
    return _act(public_id, OverrideForm(), "override_form",
                lambda s, f: reviews.override(s, f.check_id.data, f.points.data, f.reason.data, author()),
                "Override recorded; the score and verdict were recomputed.")


@bp.post("/<public_id>/regrade")
@staff_required(Role.INTERVIEWER)
def regrade(public_id: str):
    return _act(public_id, RegradeForm(), "regrade_form",
                lambda s, f: reviews.regrade(s, f.reason.data, author()), "Regrade queued.")


@bp.get("/<public_id>/charts/<name>.svg")
@staff_required(Role.INTERVIEWER)
@talisman(content_security_policy=SVG_CSP)
def chart(public_id: str, name: str):
    run = reports.latest_run(submissions.get_by_public_id(public_id))
    if name == "latency":
        svg = charts.latency_chart(*latency_series(run))
    elif name == "timeline":
        svg = charts.timeline_chart(timeline(run))
    else:
        return render_template("pages/error.html", status=404, message="no such chart"), 404
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "private, max-age=60"})
