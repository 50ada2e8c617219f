"""The candidate portal: everything a candidate does goes through their invitation link.

No account: the link's secret is the credential, so every route starts from
``invitations.by_token`` (unknown → 404, withdrawn → 410) and shows only that
invitation's submissions. What the candidate may see is decided in
``services.feedback``; these views parse, call the service and render.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField, URLField
from wtforms.validators import DataRequired, Length

from grader.errors import Forbidden, Invalid
from grader.models import Invitation
from grader.services import catalog, feedback, handout, invitations
from grader.services.untrusted import inert
from grader.web.common import html_errors

bp = Blueprint("portal", __name__, url_prefix="/i")
html_errors(bp)


def _inert(value: str | None) -> str | None:
    """Control characters never enter a submission, nor come back in a re-filled form."""
    return inert(value).strip() if value else value


class SubmitForm(FlaskForm):
    repo_url = URLField("Repository URL", filters=[_inert],
                        validators=[DataRequired("Enter your repository's URL."), Length(max=2048)])
    ref = StringField("Branch, tag or commit", default="main", filters=[_inert], validators=[Length(max=255)])
    submit = SubmitField("Submit for grading")


def _page(invitation: Invitation, form: SubmitForm, error: str = "", status: int = 200):
    view = feedback.portal(invitation, catalog.spec_for(invitation.assessment_slug))
    return render_template("portal/invitation.html", view=view, form=form, token=request.view_args["token"],
                           error=error), status


@bp.get("/<token>")
def invitation(token: str):
    found = invitations.by_token(token)
    invitations.mark_opened(found)
    return _page(found, SubmitForm())


@bp.post("/<token>/submissions")
def submit(token: str):
    found = invitations.by_token(token)
    form = SubmitForm()
    if not form.validate_on_submit():
        return _page(found, form, next(iter(form.errors.values()))[0], 422)
    try:
        invitations.submit(found, form.repo_url.data, (form.ref.data or "").strip() or "main")
    except Invalid as exc:
        return _page(found, form, exc.message, 422)
    except Forbidden as exc:
        return _page(found, form, exc.message, 403)
    flash("Submitted. Grading has started; this page follows its progress.", "success")
    return redirect(url_for("portal.invitation", token=token))


@bp.get("/<token>/status")
def status(token: str):
    """The submissions list alone, for htmx polling; with the submit panel out of band when htmx asks."""
    found = invitations.by_token(token)
    view = feedback.portal(found, catalog.spec_for(found.assessment_slug))
    return render_template("portal/status.html", view=view, token=token, form=SubmitForm(),
                           oob=request.headers.get("HX-Request") == "true")


@bp.get("/<token>/handout")
def download_handout(token: str):
    """The starting point as a git bundle, so the candidate clones it and the first commit is ours."""
    spec = catalog.spec_for(invitations.by_token(token).assessment_slug)
    if spec.handout is None:
        abort(404, "This assessment has no starting code to download.")
    path = handout.bundle(spec, Path(current_app.config["GRADER_INSTANCE_DIR"]) / "handouts")
    return send_file(path, mimetype="application/octet-stream", as_attachment=True, download_name=f"{spec.slug}.bundle")
