"""HTTP layer: routes parse input, call a service, serialise the answer."""

from __future__ import annotations

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from grader.errors import ApiError


def register_api(app: Flask) -> None:
    from grader.api.health import bp as health_bp
    from grader.api.v1 import bp as v1_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(v1_bp, url_prefix="/api/v1")

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return jsonify(exc.to_dict()), exc.status

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_").replace("'", "")
        return jsonify({"error": {"code": code, "message": exc.description or exc.name}}), exc.code

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        app.logger.exception("unhandled error")
        return jsonify({"error": {"code": "internal_error", "message": "internal error; it has been logged"}}), 500
