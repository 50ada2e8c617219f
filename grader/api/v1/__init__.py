"""Version 1 of the JSON API, mounted at /api/v1."""

from flask import Blueprint

bp = Blueprint("api_v1", __name__)

from grader.api.v1 import assessments, invitations, keys, submissions  # noqa: E402,F401  (routes register on bp)
