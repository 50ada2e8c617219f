"""How firm a score is: the spread measured for an assessment version, kept with each run.

``bench/stability.py --store`` grades fixtures of every level several times and writes what
moved into ``<assessment>/stability/<content hash>.json``; a grading copies the figures for
the exact content it was graded with onto its run, so a report can say how much a score of
that version was seen to move between repeated gradings, and says nothing when the version
was never measured (an edit to the assessment makes old figures inapplicable).
"""

from __future__ import annotations

import json
import logging
import statistics
from datetime import date
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from grader.specs import AssessmentSpec

log = logging.getLogger(__name__)


class Spread(BaseModel):
    """Repeated gradings of one assessment version: how far totals and checks moved."""

    measured_on: date
    passes: int = Field(ge=2)  # gradings of each fixture
    fixtures: int = Field(ge=1)
    largest_range: float = Field(ge=0)  # points: the most one fixture's total moved
    median_range: float = Field(ge=0)
    kendall_tau_min: float = Field(ge=-1, le=1)  # the worst ranking agreement of two passes
    checks: dict[str, float] = {}  # check id -> the most its points moved on any fixture

    def summary(self) -> str:
        return (f"repeated gradings of this version moved a total by at most {self.largest_range:g} points "
                f"(median {self.median_range:g}; {self.fixtures} fixtures graded {self.passes} times, "
                f"measured {self.measured_on.isoformat()})")


def from_figures(figures: dict[str, Any], measured_on: date) -> Spread:
    """The stored form of ``bench/stability.py``'s figures."""
    ranges = [f["range"] for f in figures["fixtures"].values()]
    return Spread(
        measured_on=measured_on,
        passes=figures["passes"],
        fixtures=len(ranges),
        largest_range=round(max(ranges), 2),
        median_range=round(statistics.median(ranges), 2),
        kendall_tau_min=min(figures["kendall_tau"].values(), default=1.0),
        checks={check_id: c["spread"] for check_id, c in figures["checks"].items() if c["spread"]},
    )


def store(spec: AssessmentSpec, spread: Spread) -> None:
    spec.stability_file.parent.mkdir(exist_ok=True)
    spec.stability_file.write_text(spread.model_dump_json(indent=2) + "\n", encoding="utf-8")


def known(spec: AssessmentSpec) -> dict[str, Any] | None:
    """The spread measured for exactly this content, as stored on a run; None when never measured.

    A damaged file is logged and ignored: a missing firmness note must not fail a grading.
    """
    path = spec.stability_file
    if not path.is_file():
        return None
    try:
        spread = Spread.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, ValidationError) as exc:
        log.warning("ignoring %s: %s", path, exc)
        return None
    return spread.model_dump(mode="json")


def summary(stored: dict[str, Any] | None) -> str | None:
    """The sentence a report shows next to a score, from what a run stored."""
    if not stored:
        return None
    try:
        return Spread.model_validate(stored).summary()
    except ValidationError:
        return None
