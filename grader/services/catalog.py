"""The assessments this grader offers: specs from disk, checked against their strategy; rows by slug and hash.

The one loader above ``grader.specs`` (pure data) and ``grader.strategies``:
an assessment is offered only when its strategy exists and accepts its
options, which are parsed here once and handed to the strategy as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from grader.errors import Invalid
from grader.extensions import db
from grader.models import Assessment
from grader.specs import AssessmentSpec, SpecError, load_spec, search_path
from grader.strategies import STRATEGIES, Strategy


@dataclass(frozen=True)
class GradingPlan:
    """An assessment ready to grade: its data, its strategy and that strategy's parsed options."""

    spec: AssessmentSpec
    strategy: type[Strategy]
    options: BaseModel | None


def load(folder: Path) -> GradingPlan:
    """Read and check one assessment folder; SpecError says what is wrong, naming the file."""
    spec = load_spec(folder)
    where = folder / "assessment.yaml"
    strategy = STRATEGIES.get(spec.strategy)
    if strategy is None:
        raise SpecError(f"{where}: unknown strategy {spec.strategy!r}; known: {sorted(STRATEGIES)}")
    try:
        options = strategy.Options(**spec.options) if strategy.Options is not None else None
        strategy.validate(spec, options)
    except ValidationError as exc:
        raise SpecError(f"{where}: options: {exc}") from exc
    except ValueError as exc:
        raise SpecError(f"{where}: {exc}") from exc
    return GradingPlan(spec, strategy, options)


def discover(setting: str) -> dict[str, GradingPlan]:
    """Every valid assessment under the search path, by slug (the first folder wins)."""
    found: dict[str, GradingPlan] = {}
    for root in search_path(setting):
        if not root.is_dir():
            continue
        for folder in sorted(root.iterdir()):
            if (folder / "assessment.yaml").is_file():
                plan = load(folder)
                found.setdefault(plan.spec.slug, plan)
    return found


_cache: dict[str, tuple[tuple, dict[str, GradingPlan], dict[str, AssessmentSpec]]] = {}


def _stamp(setting: str) -> tuple:
    """What changes when any definition on the path changes: each assessment.yaml's path and mtime."""
    stamp = []
    for root in search_path(setting):
        if root.is_dir():
            for yaml_file in sorted(root.glob("*/assessment.yaml")):
                stamp.append((str(yaml_file), yaml_file.stat().st_mtime_ns))
    return tuple(stamp)


def _cached() -> tuple[tuple, dict[str, GradingPlan], dict[str, AssessmentSpec]]:
    """Plans and their specs, read again only when a definition file changed."""
    setting = current_app.config["GRADER_ASSESSMENTS_PATH"]
    stamp = _stamp(setting)
    cached = _cache.get(setting)
    if cached is None or cached[0] != stamp:
        plans = discover(setting)
        cached = (stamp, plans, {slug: plan.spec for slug, plan in plans.items()})
        _cache[setting] = cached
    return cached


def specs() -> dict[str, AssessmentSpec]:
    """Every assessment on the configured search path, re-read when a definition file changes."""
    return _cached()[2]


def plan_for(slug: str, *, fresh: bool = False) -> GradingPlan:
    """The plan for ``slug``; ``fresh`` reads the disk again (grading: the suite's hash must be current)."""
    found = discover(current_app.config["GRADER_ASSESSMENTS_PATH"]) if fresh else _cached()[1]
    if slug not in found:
        raise Invalid(f"unknown assessment {slug!r}", details={"known": sorted(found)})
    return found[slug]


def spec_for(slug: str, *, fresh: bool = False) -> AssessmentSpec:
    return plan_for(slug, fresh=fresh).spec


def spec_or_none(slug: str) -> AssessmentSpec | None:
    """The spec, or None when the assessment has left the catalog (its stored results are still shown)."""
    return specs().get(slug)


def row_for(spec: AssessmentSpec) -> Assessment:
    """The database row for exactly this content, made on first use.

    Two first submissions at once may both try to make it: the loser of the
    unique constraint takes the winner's row (a savepoint keeps its transaction).
    """
    query = select(Assessment).where(
        Assessment.slug == spec.slug, Assessment.version == spec.version, Assessment.content_hash == spec.content_hash
    )
    row = db.session.scalar(query)
    if row is None:
        try:
            with db.session.begin_nested():
                row = Assessment(slug=spec.slug, version=spec.version, title=spec.title, content_hash=spec.content_hash)
                db.session.add(row)
        except IntegrityError:
            row = db.session.scalars(query).one()
    return row
