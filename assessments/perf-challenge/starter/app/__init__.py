"""perf-challenge bookshop API: application factory."""

import os

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter

from .common import INT32_MAX, ApiError
from .models import db
from .routes import bp


class IdConverter(BaseConverter):
    """A decimal path id; ids outside the integer column's range become 0 (matches nothing)."""

    regex = r"[0-9]+"

    def to_python(self, value: str) -> int:
        return int(value) if len(value) <= 10 and int(value) <= INT32_MAX else 0

    def to_url(self, value) -> str:
        return str(value)


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        raise RuntimeError("DATABASE_URL is not set")
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def error_response(status: int, code: str, message: str):
    return jsonify(error={"code": code, "message": message}), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def api_error(exc: ApiError):
        return error_response(exc.status, exc.code, exc.message)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.code, "http_error")
        return error_response(exc.code, code, exc.description)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        app.logger.exception("unhandled error")
        return error_response(500, "internal_error", "internal server error")


def create_app() -> Flask:
    app = Flask(__name__)
    app.config.update(
        SQLALCHEMY_DATABASE_URI=database_url(),
        EXTERNAL_API_URL=os.environ.get("EXTERNAL_API_URL", "").rstrip("/"),
    )
    app.json.sort_keys = False
    app.url_map.converters["id"] = IdConverter
    db.init_app(app)
    register_error_handlers(app)
    app.register_blueprint(bp)
    return app
