"""Health check and the OpenAPI document (outside /api/v1)."""

from flask import Blueprint

from ..openapi import OPENAPI_SPEC

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return {"status": "ok"}


@bp.get("/openapi.json")
def openapi():
    return OPENAPI_SPEC
