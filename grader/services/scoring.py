"""Turn check outcomes into points: a pure function of the rubric and the outcomes."""

from __future__ import annotations

from dataclasses import dataclass, replace

from grader.specs import AssessmentSpec
from grader.strategies.base import CheckOutcome


@dataclass(frozen=True)
class ScoredCheck:
    outcome: CheckOutcome
    category: str
    weight: float
    title: str
    contract: str
    max_points: float
    points: float


@dataclass(frozen=True)
class ScoreCard:
    total: float
    max: float
    categories: dict[str, dict[str, float]]  # name -> {"score", "max"}
    checks: tuple[ScoredCheck, ...]


def score(spec: AssessmentSpec, outcomes: tuple[CheckOutcome, ...]) -> ScoreCard:
    """Each category's points are shared among its checks by weight.

    A check scores all or nothing, unless the strategy measured a ``credit``
    (a share, for ratio-scored performance checks).  A check whose ``requires``
    did not all pass scores zero: fast and wrong is not fast.
    """
    by_id = {o.check_id: o for o in outcomes}
    weights: dict[str, float] = {}
    for check in spec.checks:
        weights[check.category] = weights.get(check.category, 0.0) + check.weight
    scored = []
    categories = {name: {"score": 0.0, "max": cat.points} for name, cat in spec.categories.items()}
    for check in spec.checks:
        outcome = by_id.get(check.id) or CheckOutcome(check.id, "not_run", message="no result")
        max_points = spec.categories[check.category].points * check.weight / weights[check.category]
        unmet = [r for r in check.requires if by_id.get(r) is None or by_id[r].outcome != "passed"]
        if unmet and outcome.outcome in ("passed", "partial"):
            outcome = replace(
                outcome, outcome="failed", credit=0.0,
                message=f"forfeited: {', '.join(unmet)} did not pass (measured: {outcome.message or outcome.outcome})",
            )
        if outcome.credit is not None:
            points = max_points * min(max(outcome.credit, 0.0), 1.0)
        else:
            points = max_points if outcome.outcome == "passed" else 0.0
        categories[check.category]["score"] += points
        scored.append(
            ScoredCheck(outcome, check.category, check.weight, check.title, check.contract, round(max_points, 2), round(points, 2))
        )
    for entry in categories.values():
        entry["score"] = round(entry["score"], 2)
    total = round(sum(c["score"] for c in categories.values()), 2)
    maximum = round(sum(c["max"] for c in categories.values()), 2)
    return ScoreCard(total, maximum, categories, tuple(scored))
