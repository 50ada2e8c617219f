"""The assessments this grader offers: specs from disk, rows in the database by slug and hash."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from grader.errors import Invalid
from grader.extensions import db
from grader.models import Assessment
from grader.specs import AssessmentSpec, discover, search_path

_cache: dict[str, tuple[tuple, dict[str, AssessmentSpec]]] = {}


def _stamp(setting: str) -> tuple:
    """What changes when any definition on the path changes: each assessment.yaml's path and mtime."""
    stamp = []
    for root in search_path(setting):
        if root.is_dir():
            for yaml_file in sorted(root.glob("*/assessment.yaml")):
                stamp.append((str(yaml_file), yaml_file.stat().st_mtime_ns))
    return tuple(stamp)


def specs() -> dict[str, AssessmentSpec]:
    """Every assessment on the configured search path, re-read when a definition file changes."""
    setting = current_app.config["GRADER_ASSESSMENTS_PATH"]
    stamp = _stamp(setting)
    cached = _cache.get(setting)
    if cached is None or cached[0] != stamp:
        cached = (stamp, discover(setting))
        _cache[setting] = cached
    return cached[1]


def spec_for(slug: str, *, fresh: bool = False) -> AssessmentSpec:
    """The spec for ``slug``; ``fresh`` reads the disk again (grading: the suite's hash must be current)."""
    found = discover(current_app.config["GRADER_ASSESSMENTS_PATH"]) if fresh else specs()
    if slug not in found:
        raise Invalid(f"unknown assessment {slug!r}", details={"known": sorted(found)})
    return found[slug]


def spec_or_none(slug: str) -> AssessmentSpec | None:
    """The spec, or None when the assessment has left the catalog (its stored results are still shown)."""
    return specs().get(slug)


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
