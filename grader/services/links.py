"""Absolute links sent to people (invitation e-mails), pointing at the public address."""

from __future__ import annotations

from flask import current_app, url_for


def invitation_url(token: str) -> str:
    """The candidate's link: GRADER_PUBLIC_URL when set, else the address this request came to."""
    base = current_app.config.get("GRADER_PUBLIC_URL")
    if base:
        return base + url_for("portal.invitation", token=token)
    return url_for("portal.invitation", token=token, _external=True)
