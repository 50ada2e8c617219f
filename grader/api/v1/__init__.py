"""Version 1 of the JSON API, mounted at /api/v1."""

from grader.api.v1 import assessments, invitations, keys, submissions  # noqa: F401  (routes register on bp)
from grader.api.v1.blueprint import bp

__all__ = ["bp"]
