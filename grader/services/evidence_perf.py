"""Performance figures of a run (perf-challenge), shaped for the evidence page and its charts.

The figures come from ``signals["performance"]`` (perf_harness.performance_table) and from
the queries-*/latency-*/load-throughput checks' evidence. They are read defensively:
a run with missing or partial figures gives empty rows, never an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from grader.models import GradingRun
from grader.services.untrusted import inert

LABELS = ("starter", "candidate")
PERCENTILES = ("p50", "p95", "p99")


@dataclass(frozen=True)
class PerfRow:
    endpoint: str
    starter: dict[str, Any]  # queries_small, queries_large, p50, p95, p99, rps, error_rate, requests
    candidate: dict[str, Any]
    p95_ratio: float | None  # starter p95 / candidate p95: above 1 is faster


@dataclass(frozen=True)
class Statements:
    endpoint: str
    starter: tuple[tuple[str, int], ...]  # (statement, calls) at the large size
    candidate: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class PerfSection:
    rows: tuple[PerfRow, ...]
    total: PerfRow | None
    statements: tuple[Statements, ...]
    has_timeline: bool
    conditions: tuple[str, ...] = ()  # how the figures were taken: the baseline's origin, the host meanwhile
    interfered: bool = False  # something besides this run used the CPU while it measured


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def performance(run: GradingRun | None) -> dict:
    return _dict(_dict(run.signals if run else None).get("performance"))


def _evidence(run: GradingRun | None):
    for check in run.checks if run else []:
        for item in check.evidence or []:
            if isinstance(item, dict):
                yield check, item


def _top(size: Any) -> tuple[tuple[str, int], ...]:
    rows = _dict(size).get("top_statements") or []
    return tuple((inert(r.get("query", "")), int(r.get("calls") or 0)) for r in rows if isinstance(r, dict))


def perf_section(run: GradingRun | None) -> PerfSection | None:
    """The before/after table, top statements per endpoint, and whether a load timeline exists."""
    table = performance(run)
    if not table:
        return None
    rows = tuple(
        PerfRow(inert(name), _dict(row.get("starter")), _dict(row.get("candidate")), _number(row.get("p95_ratio")))
        for name, row in sorted(_dict(table.get("endpoints")).items()) if isinstance(row, dict)
    )
    total = _dict(table.get("total"))
    total_row = PerfRow("all (mixed load)", _dict(total.get("starter")), _dict(total.get("candidate")), None) if total else None
    statements = tuple(
        Statements(inert(item.get("endpoint", check.check_id)), _top(_dict(item.get("starter")).get("large")),
                   _top(_dict(item.get("candidate")).get("large")))
        for check, item in _evidence(run) if check.check_id.startswith("queries-")
    )
    timing = _dict(table.get("timing"))
    return PerfSection(rows, total_row, statements, bool(timeline(run)), conditions(timing), timing.get("interfered") is True)


MEASUREMENTS = (("starter-probe", "starter probe"), ("starter", "starter"), ("candidate", "candidate"))


def conditions(timing: dict) -> tuple[str, ...]:
    """Sentences on how the figures were taken, for an interviewer weighing the ratios."""
    lines = []
    baseline = _dict(timing.get("baseline"))
    if baseline.get("source") == "cache":
        lines.append(f"The starter's figures were measured earlier on this host ({inert(str(baseline.get('measured_at')))}); "
                     f"a fresh probe of the starter moved {_percent(baseline.get('drift'))}, within the allowed drift.")
    elif baseline.get("source") == "measured":
        lines.append("The starter was measured in this run.")
    if _number(timing.get("host_wait_s")):
        lines.append(f"The run waited {_fmt(timing.get('host_wait_s'))} s to hold the host alone.")
    for key, label in MEASUREMENTS:
        figures = _dict(timing.get(key))
        if figures:
            lines.append(f"{label}: {_fmt(figures.get('seconds'))} s, load average {_fmt(figures.get('loadavg_1m_start'))} → "
                         f"{_fmt(figures.get('loadavg_1m_end'))}, other processes {_fmt(figures.get('other_cores'))} cores, "
                         f"CPU throttled {_fmt(figures.get('throttled_s_total'))} s"
                         + (f" — under interference: {inert(str(figures.get('reason')))}" if figures.get("interfered") else ""))
    return tuple(lines)


def _percent(value: Any) -> str:
    number = _number(value)
    return "—" if number is None else f"{number:.0%}"


def check_figures(evidence: list[Any]) -> tuple[tuple[str, str], ...]:
    """A perf check's figures as (label, value) lines: statements, percentiles, ratio."""
    lines = []
    for item in evidence or []:
        if not isinstance(item, dict) or "endpoint" not in item:
            continue
        lines.append(("endpoint", inert(item["endpoint"])))
        starter, candidate = _dict(item.get("starter")), _dict(item.get("candidate"))
        if "limits" in item:  # queries-*
            for size in ("small", "large"):
                lines.append((f"statements per request ({size})",
                              f"starter {_fmt(_dict(starter.get(size)).get('median'))} → "
                              f"candidate {_fmt(_dict(candidate.get(size)).get('median'))}"))
            limits = _dict(item["limits"])
            lines.append(("limits", f"at most {_fmt(limits.get('max_per_request'))} per request, "
                                    f"growth at most {_fmt(limits.get('max_growth'))}"))
        if "metric" in item:  # latency-* and load-throughput
            for key in (*PERCENTILES, "rps", "error_rate"):
                if key in starter or key in candidate:
                    lines.append((key, f"starter {_fmt(starter.get(key))} → candidate {_fmt(candidate.get(key))}"))
            scale = f"nothing at {_fmt(item.get('zero_at'))}x, full from {_fmt(item.get('full_at'))}x"
            lines.append((f"{inert(item['metric'])} ratio", f"{_fmt(item.get('ratio'))}x ({scale})"))
    return tuple(lines)


def _fmt(value: Any) -> str:
    number = _number(value)
    return "—" if number is None else f"{number:g}"


def latency_series(run: GradingRun | None) -> tuple[list[str], dict[str, list[float | None]]]:
    """Endpoints, and per "starter p95"-style series one value per endpoint (ms)."""
    endpoints = _dict(performance(run).get("endpoints"))
    names = sorted(endpoints)
    series = {f"{label} {p}": [_number(_dict(_dict(endpoints[n]).get(label)).get(p)) for n in names]
              for label in LABELS for p in PERCENTILES}
    return [inert(n) for n in names], series


def timeline(run: GradingRun | None) -> dict[str, list[dict]]:
    """The mixed-load timeline ({t, users, rps, p50, p95, failures} per second), starter and candidate."""
    for _check, item in _evidence(run):
        found = _dict(item.get("timeline"))
        if any(isinstance(found.get(label), list) and found.get(label) for label in LABELS):
            return {label: [e for e in found.get(label) or [] if isinstance(e, dict)] for label in LABELS}
    return {}
