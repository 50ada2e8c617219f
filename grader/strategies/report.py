"""Fold the tester plugin's per-test report into one outcome per check."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from grader.strategies.base import CheckOutcome, not_run

if TYPE_CHECKING:
    from grader.specs import AssessmentSpec


def outcomes_from_report(spec: AssessmentSpec, raw: bytes | None, missing_reason: str) -> tuple[CheckOutcome, ...]:
    """One outcome per check of ``spec``.

    A check passes only if every test marked with it passed; a check no test
    reported on did not run, which scores zero like a failure but says why.
    Tests skipped because their check had already failed are not listed again.
    """
    if raw is None:
        return not_run(spec, missing_reason)
    try:
        tests = json.loads(raw)["tests"]
    except (ValueError, KeyError, TypeError):
        return not_run(spec, "the hidden suite's report was unreadable")
    by_check: dict[str, list[dict]] = {}
    for test in tests:
        if isinstance(test, dict) and test.get("check"):
            by_check.setdefault(str(test["check"]), []).append(test)
    outcomes = []
    for check in spec.checks:
        results = by_check.get(check.id, [])
        if not results:
            outcomes.append(CheckOutcome(check.id, "not_run", message="no hidden test reported on this check"))
            continue
        bad = [t for t in results if t.get("outcome") != "passed"]
        duration = sum(float(t.get("duration", 0)) for t in results)
        evidence = tuple(e for t in results for e in t.get("evidence", []))
        if not bad:
            outcomes.append(CheckOutcome(check.id, "passed", duration, evidence=evidence))
            continue
        first = bad[0]
        kind = "error" if any(t.get("outcome") == "error" for t in bad) else "failed"
        message = first.get("message") or first.get("outcome", "failed")
        shown = [t for t in bad if t.get("outcome") != "skipped"] or bad
        output = "\n".join(f"{t['nodeid']}: {t.get('detail') or t.get('message', '')}" for t in shown)
        outcomes.append(CheckOutcome(check.id, kind, duration, message[:2000], output[-8000:], evidence))
    return tuple(outcomes)
