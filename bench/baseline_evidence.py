"""Would a cached starter baseline move a score?  Re-score gradings against other gradings' starters.

A cached baseline is an earlier fresh measurement of the same starter on the
same host.  So the score a fixture would get with a cached baseline is its
score computed again with the starter figures of another fresh grading: only
the ratio checks read the starter, and each one's evidence holds both sides'
figures.  ``print_evidence`` does that for every pair of gradings and prints,
per fixture, the largest move; the cache is acceptable only if every move
stays within 1 point.
"""

from __future__ import annotations

from grader.services.scoring import score
from grader.strategies.base import CheckOutcome
from grader.strategies.perf.scoring import ratio_outcome

BOUND = 1.0  # points


def _side(report: dict, side: str, duration_s: float) -> dict:
    """One side's load figures, rebuilt from the ratio checks' evidence."""
    figures: dict = {"load": {"endpoints": {}, "duration_s": duration_s}}
    for check in report["checks"]:
        for item in check.get("evidence") or []:
            if isinstance(item, dict) and "metric" in item and item.get(side) is not None:
                if item["endpoint"] == "total":
                    figures["load"]["total"] = item[side]
                else:
                    figures["load"]["endpoints"][item["endpoint"]] = item[side]
    return figures


def rescore(plan, report: dict, starter: dict) -> float:
    """The report's score with ``starter`` as the baseline: ratio checks again, the rest as graded."""
    options = plan.options
    load = options.measure.get("load") or {}
    candidate = _side(report, "candidate", float(load.get("duration_s", 12)))
    timeout_ms = float(load.get("request_timeout_s", 5)) * 1000
    outcomes = []
    for check in report["checks"]:
        rule = options.ratio_checks.get(check["id"])
        if rule is not None:
            outcomes.append(ratio_outcome(check["id"], rule, starter, candidate, timeout_ms))
        else:
            credit = check["points"] / check["max_points"] if check["outcome"] == "partial" and check["max_points"] else None
            outcomes.append(CheckOutcome(check["id"], check["outcome"], credit=credit))
    return score(plan.spec, tuple(outcomes)).total


def print_evidence(plan, gradings: list[tuple[str, dict]]) -> float:
    """Per fixture: its fresh score and the range over every other grading's starter; returns the largest move."""
    load = plan.options.measure.get("load") or {}
    starters = [(name, _side(report, "starter", float(load.get("duration_s", 12)))) for name, report in gradings]
    print(f"\n== cached baseline evidence: each grading re-scored against the {len(starters)} starters measured")
    print(f"{'fixture':<22}{'fresh':>8}{'min':>8}{'max':>8}{'largest move':>14}")
    worst = 0.0
    for name, report in gradings:
        fresh = report["score"]["total"]
        # Against its own starter the rebuild must give the grading's own score, up to the rounding
        # of the figures kept as evidence (p95 to 0.1 ms): moves are measured from that score.
        own = rescore(plan, report, dict(starters)[name])
        if abs(own - fresh) > 0.05:
            print(f"{name:<22} re-scored against its own starter gives {own:.2f}, not {fresh:.2f}: evidence incomplete")
        others = [rescore(plan, report, starter) for other, starter in starters if other != name]
        if not others:
            continue
        move = max(abs(s - own) for s in others)
        worst = max(worst, move)
        print(f"{name:<22}{fresh:>8.2f}{min(others):>8.2f}{max(others):>8.2f}{move:>14.2f}")
    verdict = "within" if worst <= BOUND else "OUTSIDE"
    print(f"largest move {worst:.2f} points: {verdict} the {BOUND:g}-point bound")
    return worst
