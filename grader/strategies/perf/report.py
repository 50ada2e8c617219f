"""The before/after table recruiters read at a glance (``signals["performance"]``)."""

from __future__ import annotations

from grader.strategies.perf.figures import load, queries
from grader.strategies.perf.options import PerfOptions


def performance_table(before: dict | None, after: dict | None, options: PerfOptions) -> dict:
    """Per endpoint, before and after: the figures a recruiter reads at a glance."""
    endpoints = sorted({*((options.measure.get("load") or {}).get("mix") or {}), *(options.measure.get("queries") or {})})
    table = {}
    for endpoint in endpoints:
        row = {}
        for label, figures in (("starter", before), ("candidate", after)):
            q, totals = queries(figures, endpoint), load(figures, endpoint)
            row[label] = {
                "queries_small": (q.get("small") or {}).get("median"),
                "queries_large": (q.get("large") or {}).get("median"),
                **{k: totals.get(k) for k in ("p50", "p95", "p99", "rps", "error_rate", "requests")},
            }
        s95, c95 = row["starter"].get("p95"), row["candidate"].get("p95")
        row["p95_ratio"] = round(s95 / c95, 1) if s95 and c95 else None
        table[endpoint] = row
    return {"endpoints": table, "total": {"starter": load(before, "total"), "candidate": load(after, "total")}}
