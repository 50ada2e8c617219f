"""GET /assessments: what candidates can be graded on."""

from flask import jsonify

from grader.api.auth import require
from grader.api.v1.blueprint import bp
from grader.models import Role
from grader.services import catalog


@bp.get("/assessments")
@require(Role.CANDIDATE)
def list_assessments():
    items = [
        {
            "slug": spec.slug,
            "version": spec.version,
            "title": spec.title,
            "summary": spec.summary,
            "categories": {name: cat.points for name, cat in spec.categories.items()},
            "checks": len(spec.checks),
        }
        for spec in catalog.specs().values()
    ]
    return jsonify({"items": items, "total": len(items)})
