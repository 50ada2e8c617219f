"""The v1 blueprint itself, apart from its routes, so route modules import it without a cycle."""

from flask import Blueprint

bp = Blueprint("api_v1", __name__)
