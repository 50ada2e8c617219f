"""Multi-tenant SaaS API: application factory."""

import os
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import make_url
from werkzeug.routing import BaseConverter

from . import models  # noqa: F401  (registers the tables)
from .blueprints import auth, health, projects, tenants, users
from .errors import register_error_handlers
from .extensions import db
from .ratelimit import FixedWindowRateLimiter

API_PREFIX = "/api/v1"


class IdConverter(BaseConverter):
    """Any path segment. A malformed or out-of-range id becomes 0, which matches no row,
    so the request is still authenticated and rate-limited and then answers 404."""

    def to_python(self, value: str) -> int:
        if value.isascii() and value.isdigit() and len(value) <= 19 and int(value) < 2**63:
            return int(value)
        return 0

    def to_url(self, value) -> str:
        return str(value)


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise RuntimeError(f"{name} must be an integer, got {raw!r}") from None
    if value < 1:
        raise RuntimeError(f"{name} must be at least 1")
    return value


def load_config() -> dict:
    """Read the configuration from the environment (and nowhere else)."""
    secret = os.environ.get("JWT_SECRET_KEY")
    if not secret:
        raise RuntimeError("JWT_SECRET_KEY is not set; refusing to start")
    return {
        "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL") or "sqlite:///app.db",
        "JWT_SECRET_KEY": secret,
        "ACCESS_TOKEN_TTL_SECONDS": _env_int("ACCESS_TOKEN_TTL_SECONDS", 900),
        "REFRESH_TOKEN_TTL_SECONDS": _env_int("REFRESH_TOKEN_TTL_SECONDS", 1209600),
        "RATE_LIMIT_PER_MINUTE": _env_int("RATE_LIMIT_PER_MINUTE", 600),
    }


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def create_app() -> Flask:
    app = Flask(__name__)
    app.config.update(load_config())
    app.json.sort_keys = False

    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    is_sqlite = url.get_backend_name() == "sqlite"
    if is_sqlite:
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}
        if url.database and os.path.isabs(url.database):
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)

    app.url_map.converters["id"] = IdConverter
    db.init_app(app)
    app.extensions["rate_limiter"] = FixedWindowRateLimiter(
        app.config["RATE_LIMIT_PER_MINUTE"], window_seconds=60
    )
    register_error_handlers(app)

    app.register_blueprint(health.bp)
    for module in (tenants, auth, users, projects):
        app.register_blueprint(module.bp, url_prefix=API_PREFIX)

    with app.app_context():
        if is_sqlite:
            event.listen(db.engine, "connect", _sqlite_pragmas)
        db.create_all()
    return app
