"""Server-rendered pages: sign-in, the candidate portal, the dashboard, evidence, admin.

Pages parse a form or a query, call the same services as the API, and render;
no logic lives here. Everything a candidate controls reaches a template through
the ``inert`` filter and Jinja's escaping. Pages send a strict Content-Security-Policy
(scripts only from this origin) and no Referer, so an invitation link in a URL
never leaks to another site.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from flask import Flask, abort, current_app, send_from_directory
from markdown_it import MarkdownIt
from markupsafe import Markup

from grader.extensions import csrf, login_manager, talisman
from grader.services import users
from grader.services.untrusted import inert

# Files served from the npm packages installed by `make setup` (name -> path under node_modules).
VENDOR = {
    "pico.min.css": "@picocss/pico/css/pico.min.css",
    "htmx.min.js": "htmx.org/dist/htmx.min.js",
}

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

# Markdown with raw HTML disabled: safe for briefs and for text a candidate wrote. Images are
# off too: a candidate's picture from their own server would tell them who read their account
# and when (the CSP blocks it as well); an image's Markdown shows as a link instead.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").disable("image")


def render_markdown(text: str) -> Markup:
    return Markup(_markdown.render(inert(text)))  # noqa: S704 - markdown-it escapes everything (html disabled)


def _datetime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return f"{value:{fmt}} UTC" if value else "—"


def register_web(app: Flask) -> None:
    from grader.api.v1 import bp as api_v1
    from grader.web import admin, auth, dashboard, evidence, portal

    csrf.exempt(api_v1)  # machines authenticate with a bearer key, not a cookie
    talisman.init_app(
        app,
        force_https=False,  # TLS ends at the proxy in front of the app
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_http_only=True,
        content_security_policy=CSP,
        referrer_policy="no-referrer",
        frame_options="DENY",
        strict_transport_security=app.config["SESSION_COOKIE_SECURE"],
    )
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see this page."
    login_manager.session_protection = "strong"
    login_manager.user_loader(users.by_session_token)

    for blueprint in (auth.bp, portal.bp, dashboard.bp, evidence.bp, admin.bp):
        app.register_blueprint(blueprint)
    app.add_url_rule("/static/vendor/<name>", "vendor", _vendor)
    app.jinja_env.filters.update(inert=inert, markdown=render_markdown, dt=_datetime)
    if not Path(app.config["GRADER_ASSETS_DIR"]).is_dir():
        app.logger.warning("front-end packages are missing (%s): run `make setup`", app.config["GRADER_ASSETS_DIR"])


def _vendor(name: str):
    if name not in VENDOR:
        abort(404)
    path = Path(current_app.config["GRADER_ASSETS_DIR"]) / VENDOR[name]
    return send_from_directory(path.parent, path.name, max_age=86400)
