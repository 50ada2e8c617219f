"""Rich graded submissions for the evidence page, stored as the pipeline stores them.

Call inside an app context; each returns the submission's public id.
"""

from __future__ import annotations

from datetime import timedelta

from grader.extensions import db
from grader.models import CheckResult, GradingRun, Submission, SubmissionStatus
from grader.models._base import utcnow
from grader.services import catalog

XSS = "<script>alert(1)</script>"
ESC = "\x1b[31m"

TRANSCRIPT = [
    {"instance": "main", "method": "POST", "path": "/api/v1/projects", "request": '{"name": "it\'s A"}', "status": 201,
     "content_type": "application/json", "response": '{"id": 7}', "ms": 3.1},
    {"instance": "main", "method": "GET", "path": "/api/v1/projects/7", "request": "", "status": 200,
     "content_type": "text/html", "response": f"{ESC}leak {XSS}", "ms": 2.4},
    {"instance": "main", "method": "GET", "path": "/api/v1/projects", "request": "", "status": 200,
     "content_type": "application/json", "response": "[[[[", "ms": 310.0,
     "refused": "GET /api/v1/projects: body over the 4 MiB cap once decompressed"},
]


def _submission(slug: str, **extra) -> Submission:
    submission = Submission(assessment=catalog.row_for(catalog.spec_for(slug)), candidate_name="Ada Lovelace",
                            candidate_email="ada@example.com", repo_url="https://tok@example.com/ada/x.git", ref="main",
                            commit_sha="c" * 40, attempts=1, **extra)
    db.session.add(submission)
    submission.set_status(SubmissionStatus.QUEUED, "submitted")
    return submission


def _checks(slug: str, outcomes: dict[str, tuple[str, float | None]], evidence: dict[str, list]) -> list[CheckResult]:
    """Every check of the spec; those not named in ``outcomes`` passed with full points."""
    spec = catalog.spec_for(slug)
    weights: dict[str, float] = {}
    for c in spec.checks:
        weights[c.category] = weights.get(c.category, 0.0) + c.weight
    rows = []
    for c in spec.checks:
        max_points = round(spec.categories[c.category].points * c.weight / weights[c.category], 2)
        outcome, share = outcomes.get(c.id, ("passed", 1.0))
        rows.append(CheckResult(check_id=c.id, title=c.title, contract=c.contract, category=c.category, weight=c.weight,
                                max_points=max_points, points=round(max_points * (share or 0.0), 2), outcome=outcome,
                                message=f"{c.id}: {outcome}", output="", evidence=evidence.get(c.id, [])))
    return rows


def _run(submission, slug, attempt, outcomes, evidence, **fields) -> GradingRun:
    checks = _checks(slug, outcomes, evidence)
    categories: dict[str, dict] = {}
    for c in checks:
        entry = categories.setdefault(c.category, {"score": 0.0, "max": 0.0})
        entry["score"] = round(entry["score"] + c.points, 2)
        entry["max"] = round(entry["max"] + c.max_points, 2)
    total = round(sum(c.points for c in checks), 2)
    started = utcnow() - timedelta(minutes=10 - attempt)
    run = GradingRun(submission=submission, attempt=attempt, status="completed", score_total=total, adjusted_total=total,
                     score_max=100.0, categories=categories, checks=checks, started_at=started,
                     finished_at=started + timedelta(minutes=2), worker_host="worker-1", **fields)
    db.session.add(run)
    db.session.flush()
    return run


def saas_submission() -> str:
    """saas-api, two completed runs: attempt 2 fails iso-get (critical, with a transcript) and own-tests-pass."""
    submission = _submission("saas-api")
    _run(submission, "saas-api", 1, {"pagination": ("failed", 0)}, {}, verdict="mixed")
    failing = {"iso-get": ("failed", 0), "own-tests-pass": ("failed", 0)}
    run = _run(
        submission, "saas-api", 2, failing, {"iso-get": [{"transcript": TRANSCRIPT}]},
        verdict="critical",
        critical_findings=[{"check_id": "iso-get", "sentence": "Another tenant's users, projects or tasks can be read by id."}],
        signals={"own_tests": {"passed": 11, "failed": 2, "errors": 1, "exit_code": 1, "coverage_percent": 81.5},
                 "ruff_findings": 4, "structure": {"app_factory": True, "blueprints": True, "rewrites_test_reports": False}},
        logs={"app": f"gunicorn started\n{ESC}boom {XSS}"}, stage_seconds={"clone": 0.5, "install": 3.0, "test": 40.0},
        handout_diff=[{"path": "app/views.py", "status": "modified",
                       "diff": "--- a/app/views.py\n+++ b/app/views.py\n@@ -1 +1 @@\n-old line\n+new line"}],
    )
    next(c for c in run.checks if c.check_id == "iso-get").output = f"AssertionError {XSS}"
    submission.result_run = run
    submission.set_status(SubmissionStatus.COMPLETED, "graded")
    db.session.commit()
    return submission.public_id


def _load(p50, p95, p99, rps):
    return {"p50": p50, "p95": p95, "p99": p99, "rps": rps, "error_rate": 0.0, "requests": int(rps * 20)}


# How the figures were taken: the starter's from this host's cache, the candidate's measured beside a busy neighbour.
TIMING = {
    "baseline": {"source": "cache", "measured_at": "2026-11-28T09:00:00+00:00", "drift": 0.04},
    "host_wait_s": 12.5,
    "starter-probe": {"seconds": 15, "loadavg_1m_start": 1.0, "loadavg_1m_end": 1.1, "other_cores": 0.01,
                      "throttled_s_total": 3.2, "interfered": False},
    "candidate": {"seconds": 41, "loadavg_1m_start": 1.2, "loadavg_1m_end": 2.9, "other_cores": 0.9,
                  "throttled_s_total": 6.9, "interfered": True,
                  "reason": "other processes used 0.90 cores while measuring (threshold 0.3)"},
    "interfered": True,
}


SPREAD = {"measured_on": "2026-12-07", "passes": 5, "fixtures": 12, "largest_range": 1.4, "median_range": 0.1,
          "kendall_tau_min": 0.97, "checks": {"latency-orders": 0.9}}


# What a candidate might write in PERFORMANCE.md, hostile parts included.
ACCOUNT = ("# What I changed\n\n- **Eager loading** on `/books`: 101 statements to 2\n\n" + XSS
           + "\n\n[my notes](javascript:alert(1)) ![pixel](http://tracker.example/p.png)\n")


def perf_submission() -> str:
    """perf-challenge: signals.performance plus queries/latency/load-throughput evidence with a timeline."""
    submission = _submission("perf-challenge")
    endpoints = {
        "books-list": {"starter": {"queries_small": 21, "queries_large": 101, **_load(300, 900, 1500, 3)},
                       "candidate": {"queries_small": 2, "queries_large": 2, **_load(12, 30, 45, 80)}, "p95_ratio": 30.0},
        "orders": {"starter": {"queries_small": 1, "queries_large": 1, **_load(20, 40, 60, 50)},
                   "candidate": {"queries_small": 1, "queries_large": 1, **_load(10, 35, 50, 60)}, "p95_ratio": 1.1},
    }
    top = [{"query": "SELECT * FROM reviews WHERE book_id = $1", "calls": 100}]
    evidence = {
        "queries-books-list": [{
            "endpoint": "books-list", "limits": {"max_per_request": 6, "max_growth": 1},
            "candidate": {"small": {"median": 2, "counts": [2]}, "large": {"median": 2, "counts": [2], "top_statements": top}},
            "starter": {"small": {"median": 21, "counts": [21]},
                        "large": {"median": 101, "counts": [101], "top_statements": top}},
        }],
        "latency-orders": [{"endpoint": "orders", "metric": "p95", "starter": _load(20, 40, 60, 50),
                            "candidate": _load(10, 35, 50, 60), "ratio": 1.14, "zero_at": 1.0, "full_at": 1.3}],
        "load-throughput": [{
            "endpoint": "total", "metric": "rps", "starter": _load(200, 800, 1200, 10), "candidate": _load(15, 40, 60, 90),
            "ratio": 9.0, "zero_at": 2, "full_at": 10,
            "timeline": {"starter": [{"t": t, "users": 10, "rps": 9.0 + t, "p50": 200, "p95": 800 - t, "failures": 0}
                                     for t in range(1, 6)],
                         "candidate": [{"t": t, "users": 10, "rps": 88.0 + t, "p50": 15, "p95": 40, "failures": 0}
                                       for t in range(1, 6)]},
        }],
    }
    outcomes = {"latency-orders": ("partial", 0.5), "load-throughput": ("partial", 0.9), "queries-books-list": ("failed", 0)}
    run = _run(submission, "perf-challenge", 1, outcomes, evidence, verdict="mixed", score_spread=SPREAD,
               candidate_account={"path": "PERFORMANCE.md", "present": True, "text": ACCOUNT, "truncated": True, "problem": None},
               signals={"performance": {"endpoints": endpoints, "total": {"starter": _load(200, 800, 1200, 10),
                                                                          "candidate": _load(15, 40, 60, 90)},
                                        "timing": TIMING}})
    submission.result_run = run
    submission.set_status(SubmissionStatus.COMPLETED, "graded")
    db.session.commit()
    return submission.public_id
