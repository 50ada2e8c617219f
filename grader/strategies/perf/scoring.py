"""Points from figures: statements per request, speed-up ratios against the starter, error rates."""

from __future__ import annotations

import math

from grader.strategies.base import CheckOutcome
from grader.strategies.perf.figures import answers, brief_queries, fmt, load, queries
from grader.strategies.perf.options import PerfOptions, QueryCheck, RatioCheck


def ratio_credit(ratio: float, zero_at: float, full_at: float) -> float:
    """Share of the points for a speed-up: 0 at ``zero_at``, 1 at ``full_at``, log-linear between.

    Continuous on purpose: a ratio that wobbles with machine noise moves the
    score a little, never across a cliff.
    """
    if ratio <= zero_at:
        return 0.0
    if ratio >= full_at or full_at <= zero_at:
        return 1.0
    return math.log(ratio / zero_at) / math.log(full_at / zero_at)


def measured_checks(options: PerfOptions, before: dict, after: dict | None) -> dict[str, CheckOutcome]:
    """Outcomes of the checks the harness measures itself (query counts, speed-ups, error rates)."""
    if after is None:
        reason = "the measurement of the candidate's app produced no figures"
        ids = [*options.query_checks, *options.ratio_checks, *options.error_rate_checks]
        return {i: CheckOutcome(i, "not_run", message=reason) for i in ids}
    timeout_ms = float(options.measure.get("load", {}).get("request_timeout_s", 5)) * 1000
    checks = {}
    for check_id, rule in options.query_checks.items():
        checks[check_id] = query_outcome(check_id, rule, before, after)
    for check_id, rule in options.ratio_checks.items():
        checks[check_id] = ratio_outcome(check_id, rule, before, after, timeout_ms)
    for check_id, rule in options.error_rate_checks.items():
        total = (after.get("load") or {}).get("total") or {}
        rate = total.get("error_rate")
        if rate is None or not total.get("requests"):
            checks[check_id] = CheckOutcome(check_id, "failed", message="no request completed under load")
            continue
        ok = rate <= rule.max_error_rate
        stalled = f" (including {total['stalled']} left unanswered at the end)" if total.get("stalled") else ""
        checks[check_id] = CheckOutcome(
            check_id, "passed" if ok else "failed",
            message=f"{rate:.1%} of {total['requests'] + total.get('stalled', 0)} requests failed under load{stalled} "
                    f"(allowed {rule.max_error_rate:.0%})",
            evidence=({"candidate": total, "starter": ((before.get("load") or {}).get("total"))},),
        )
    return checks


def query_outcome(check_id: str, rule: QueryCheck, before: dict, after: dict) -> CheckOutcome:
    """Statements per request at two sizes, counted by PostgreSQL for the app's role."""
    mine, theirs = queries(after, rule.endpoint), queries(before, rule.endpoint)
    evidence = ({
        "endpoint": rule.endpoint,
        "candidate": {size: brief_queries(mine.get(size)) for size in ("small", "large")},
        "starter": {size: brief_queries(theirs.get(size)) for size in ("small", "large")},
        "limits": {"max_per_request": rule.max_per_request, "max_growth": rule.max_growth},
    },)
    small, large = (mine.get("small") or {}), (mine.get("large") or {})
    probes = (small.get("probes") or []) + (large.get("probes") or [])
    bad = [p for p in probes if p.get("status") != 200]
    if small.get("median") is None or large.get("median") is None or bad:
        detail = f"; a probe answered {bad[0].get('status')} ({bad[0].get('path')})" if bad else ""
        return CheckOutcome(check_id, "failed", message=f"statements could not be counted{detail}", evidence=evidence)
    if forfeit := wrong_answers(after, "probes", rule.endpoint, probes):
        evidence[0]["answers"] = answers(after, "probes", rule.endpoint)
        return CheckOutcome(check_id, "failed", message=f"{forfeit}; statements of a wrong answer do not count",
                            evidence=evidence)
    growth = large["median"] - small["median"]
    text = (f"{small['median']:g} statements per request at the small size, {large['median']:g} at the large size "
            f"(starter: {fmt((theirs.get('small') or {}).get('median'))} and {fmt((theirs.get('large') or {}).get('median'))})")
    if growth > rule.max_growth:
        return CheckOutcome(check_id, "failed", message=f"{text}: the count grows with the size (N+1)", evidence=evidence)
    if large["median"] > rule.max_per_request:
        return CheckOutcome(check_id, "failed", message=f"{text}; at most {rule.max_per_request:g} allowed", evidence=evidence)
    return CheckOutcome(check_id, "passed", message=text, evidence=evidence)


def wrong_answers(after: dict, phase: str, endpoint: str, probes: list[dict] | None = None) -> str | None:
    """Why the answers the candidate gave while measured forfeit the measurement, or None.

    ``phase`` is ``probes`` (every statement-count probe) or ``load`` (a seeded sample of the
    answers under load).  Only measurements whose answers were checked can be forfeited
    (the harness checks the candidate's, never the starter's); one wrong answer is enough,
    and so is a window none of whose sampled answers could be checked.
    """
    if "answers" not in after:
        return None
    summary = answers(after, phase, endpoint)
    if summary.get("wrong"):
        example = (summary.get("examples") or [{}])[0]
        where = "; ".join(example.get("differences") or [])[:300]
        what = ("statement-count probes answered differently from the database" if phase == "probes"
                else "answers sampled under load differ from the database")
        return f"{summary['wrong']} of {summary['checked']} {what}, e.g. GET {example.get('path')}: {where}"
    if phase == "load" and summary.get("unchecked") and not summary.get("checked"):
        return f"none of the {summary['unchecked']} answers sampled under load could be checked against the database"
    if phase == "probes" and probes and not summary:
        return "the statement-count probes' answers were not checked against the database"
    return None


def ratio_outcome(check_id: str, rule: RatioCheck, before: dict, after: dict, timeout_ms: float) -> CheckOutcome:
    """Speed-up of the candidate over the starter under the same load profile."""
    mine, theirs = load(after, rule.endpoint), load(before, rule.endpoint)
    evidence = {"endpoint": rule.endpoint, "metric": rule.metric, "starter": theirs, "candidate": mine,
                "zero_at": rule.zero_at, "full_at": rule.full_at}
    if rule.endpoint == "total":  # the load timeline (percentiles over time), for the report
        evidence["timeline"] = {label: ((figures or {}).get("load") or {}).get("timeline") or []
                                for label, figures in (("starter", before), ("candidate", after))}
    if not mine.get("requests"):
        return CheckOutcome(check_id, "failed", credit=0.0, message="no request completed under load", evidence=(evidence,))
    if (mine.get("error_rate") or 0) > rule.max_error_rate:
        return CheckOutcome(check_id, "failed", credit=0.0, evidence=(evidence,),
                            message=f"{mine['error_rate']:.1%} of requests failed under load; speed does not count")
    endpoints = sorted((after.get("answers") or {}).get("load") or {}) if rule.endpoint == "total" else [rule.endpoint]
    for endpoint in endpoints:
        if forfeit := wrong_answers(after, "load", endpoint):
            evidence["answers"] = answers(after, "load", endpoint)
            return CheckOutcome(check_id, "failed", credit=0.0, evidence=(evidence,),
                                message=f"{forfeit}; fast and wrong is not fast")
    if rule.metric == "p95":
        # Requests still running when the window closed count at their age (a lower bound),
        # so a starter that finished nothing still has a p95; only with no data at all is it the timeout.
        starter_value = max(float(theirs.get("p95") or timeout_ms), 1.0)
        ratio = starter_value / max(float(mine.get("p95") or timeout_ms), 1.0)
        unfinished = (f", {theirs['unfinished']} requests unfinished (counted at their age)"
                      if theirs.get("unfinished", 0) > theirs.get("requests", 0) else "")
        text = f"p95 {fmt(mine.get('p95'))} ms vs the starter's {starter_value:g} ms{unfinished}: {ratio:.1f}x faster"
    else:
        duration = max(float((after.get("load") or {}).get("duration_s") or 1), 1.0)
        ok_rps = (mine["requests"] - mine.get("failures", 0)) / duration
        starter_ok = (theirs.get("requests", 0) - theirs.get("failures", 0)) / duration
        starter_rps = max(starter_ok, 1.0 / duration)  # at least one request's worth: no division by zero
        ratio = ok_rps / starter_rps
        text = f"{ok_rps:.1f} successful requests/s vs the starter's {starter_ok:.1f}: {ratio:.1f}x"
    evidence["ratio"] = round(ratio, 2)
    credit = ratio_credit(ratio, rule.zero_at, rule.full_at)
    outcome = "passed" if credit >= 1.0 else "partial" if credit > 0 else "failed"
    return CheckOutcome(
        check_id, outcome, credit=round(credit, 4), evidence=(evidence,),
        message=f"{text} (nothing at {rule.zero_at:g}x, full credit from {rule.full_at:g}x)",
    )
