"""The assessments this grader offers: specs from disk, rows in the database by slug and hash."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from grader.errors import Invalid
from grader.extensions import db
from grader.models import Assessment
from grader.specs import AssessmentSpec, discover


def specs() -> dict[str, AssessmentSpec]:
    """Every assessment on the configured search path (read from disk on each call: they are small)."""
    return discover(current_app.config["GRADER_ASSESSMENTS_PATH"])


def spec_for(slug: str) -> AssessmentSpec:
    found = specs()
    if slug not in found:
        raise Invalid(f"unknown assessment {slug!r}", details={"known": sorted(found)})
    return found[slug]


def row_for(spec: AssessmentSpec) -> Assessment:
    """The database row for exactly this content, made on first use."""
    row = db.session.scalar(
        select(Assessment).where(
            Assessment.slug == spec.slug, Assessment.version == spec.version, Assessment.content_hash == spec.content_hash
        )
    )
    if row is None:
        row = Assessment(slug=spec.slug, version=spec.version, title=spec.title, content_hash=spec.content_hash)
        db.session.add(row)
        db.session.flush()
    return row
