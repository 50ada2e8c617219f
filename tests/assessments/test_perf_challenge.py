"""The perf-challenge grading proves itself with real containers: the starter scores low, the
reference solution high, and each seeded defect fails exactly its checks, landing in between;
two of them attack the measurements themselves (canned answers for measuring traffic, objects
planted in the database) and gain nothing.

Each test is one full grading (seeded PostgreSQL, fake stock service, starter and candidate
apps, Locust load), so they are independent and xdist spreads them over workers.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from grader.strategies import toolkit

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
STARTER = ROOT / "assessments" / "perf-challenge" / "starter"
FIXTURES = ROOT / "tests" / "fixtures" / "perf-challenge"
REFERENCE = (STARTER, FIXTURES / "reference")  # an overlay on the starter (fixtures/perf-challenge/README.md)
VARIANTS = sorted(p for p in (FIXTURES / "variants").iterdir() if (p / "variant.yaml").is_file())
MID_BAND = sorted(p for p in (FIXTURES / "mid-band").iterdir() if (p / "variant.yaml").is_file())
ENDPOINTS = ("books-list", "book-detail", "author", "orders", "top-books")

# Bands that make the ordering explicit: starter < every variant < reference.  The starter
# answers correctly by design (about 25 of its points), and earns no speed-up points.
STARTER_MAX = 45
REFERENCE_MIN = 97

# What the starter must fail however noisy the machine: no pagination, no stock timeout,
# N+1 statements, requests left unanswered under load, and no speed-up credit where its
# unpaginated /books forfeits it (books-list latency, throughput).
STARTER_FAILS = {
    "correct-books-list", "stock-timeout", "response-size", "load-errors",
    "queries-books-list", "queries-author", "queries-top-books",
    "latency-books-list", "load-throughput",
}
# Measured against its own cached figures, the starter's p95 ratio on /authors, the report and
# /orders is near 1 (1.0-1.1x), and its noise once reached the 2x where credit starts on /authors
# (one 4 s window of a few N+1 requests): noise-sized credit there, never more than a quarter of
# the check.
STARTER_NOISE_SHARE = 0.25
NOISY_NEAR_ONE = ("latency-author", "latency-top-books", "latency-orders")


def failed(body: dict) -> set[str]:
    """Checks that scored nothing (a partial speed-up is not a failure)."""
    return {c["id"] for c in body["checks"] if c["outcome"] not in ("passed", "partial")}


def _why(body: dict) -> dict[str, str]:
    return {c["id"]: c["message"] for c in body["checks"] if c["outcome"] != "passed"}


def test_the_starter_scores_low_and_fails_what_it_was_built_to_fail(grade_repo):
    body = grade_repo("perf-challenge", STARTER)
    assert body["status"] == "completed", body["failure_reason"]
    assert STARTER_FAILS <= failed(body), _why(body)
    for check in body["checks"]:
        if check["id"] in NOISY_NEAR_ONE:
            assert check["points"] <= STARTER_NOISE_SHARE * check["max_points"], (check["id"], check["message"])
    assert body["score"]["total"] <= STARTER_MAX, _why(body)
    # Its /books is not paginated as the contract asks, which the verdict names first.
    assert body["verdict"]["id"] == "critical"
    assert "correct-books-list" in {f["check_id"] for f in body["critical_findings"]}
    queries = {c["id"]: c for c in body["checks"] if c["id"].startswith("queries-")}
    books = queries["queries-books-list"]["evidence"][0]
    # The N+1 is counted by PostgreSQL: hundreds of statements per request, the same in "before" and "after".
    assert books["candidate"]["large"]["median"] > 100
    assert books["starter"]["large"]["median"] == pytest.approx(books["candidate"]["large"]["median"], rel=0.1)


@pytest.mark.parametrize("seed", [None, 5], ids=["file-order", "random-order"])
def test_the_reference_solution_scores_high_with_evidence_for_interviewers(grade_repo, monkeypatch, seed):
    """In file order and in a random one: the hidden suite's verdicts do not depend on its order."""
    if seed is None:
        monkeypatch.delenv(toolkit.SUITE_SEED_ENV, raising=False)
    else:
        monkeypatch.setenv(toolkit.SUITE_SEED_ENV, str(seed))
    body = grade_repo("perf-challenge", *REFERENCE)
    assert body["status"] == "completed", body["failure_reason"]
    assert failed(body) == set(), _why(body)
    assert body["score"]["total"] >= REFERENCE_MIN, _why(body)
    assert body["verdict"]["id"] == "strong" and body["critical_findings"] == []
    performance = body["signals"]["performance"]["endpoints"]
    for endpoint in ENDPOINTS:
        row = performance[endpoint]
        assert row["candidate"]["queries_large"] <= 6, (endpoint, row)
        assert row["starter"]["p95"] and row["candidate"]["p95"], (endpoint, row)
    latency = next(c for c in body["checks"] if c["id"] == "latency-author")["evidence"][0]
    assert {"p50", "p95", "p99", "rps", "error_rate"} <= set(latency["candidate"]) and latency["ratio"] > 2
    throughput = next(c for c in body["checks"] if c["id"] == "load-throughput")["evidence"][0]
    assert throughput["candidate"]["requests"] > throughput["starter"]["requests"]
    for label in ("starter", "candidate"):
        assert throughput["timeline"][label] and {"t", "p95", "rps"} <= set(throughput["timeline"][label][-1])
    assert set(body["run"]["stage_seconds"]) >= {"test.starter-measure", "test.candidate-measure", "test.suite"}


@pytest.mark.parametrize("variant", VARIANTS, ids=[v.name for v in VARIANTS])
def test_each_seeded_defect_fails_exactly_its_checks_and_lands_between(grade_repo, variant):
    spec = yaml.safe_load((variant / "variant.yaml").read_text())
    expected, may_fail = set(spec["expected_failures"]), set(spec.get("may_fail", []))
    body = grade_repo("perf-challenge", *REFERENCE, variant)
    assert body["status"] == "completed", body["failure_reason"]
    assert expected <= failed(body) <= expected | may_fail, _why(body)
    if "data-intact" in expected:  # damaging the data forfeits every speed point: no better than doing nothing
        assert body["score"]["total"] <= STARTER_MAX, _why(body)
    else:
        assert STARTER_MAX < body["score"]["total"] < REFERENCE_MIN, _why(body)
    assert body["verdict"]["id"] == spec["expected_verdict"], _why(body)
    for check in body["checks"]:
        if check["id"] in expected:
            assert check["message"], check["id"]
    if variant.name in VARIANT_EVIDENCE:
        VARIANT_EVIDENCE[variant.name](body)


@pytest.mark.parametrize("fixture", MID_BAND, ids=[m.name for m in MID_BAND])
def test_a_mid_band_fixture_earns_part_of_the_band_it_was_built_for(grade_repo, fixture):
    """Correct and a little slow: the band it targets gives some of its points, never all, nothing fails."""
    spec = yaml.safe_load((fixture / "variant.yaml").read_text())
    body = grade_repo("perf-challenge", *REFERENCE, fixture)
    assert body["status"] == "completed", body["failure_reason"]
    assert failed(body) == set(spec["expected_failures"]), _why(body)
    checks = {c["id"]: c for c in body["checks"]}
    for check_id in spec["mid_band"]:
        assert 0 < checks[check_id]["points"] < checks[check_id]["max_points"], (check_id, checks[check_id]["message"])
    assert STARTER_MAX < body["score"]["total"] < body["score"]["max"], _why(body)  # one band's loss may stay above 97
    assert body["verdict"]["id"] == spec["expected_verdict"], _why(body)


def _canned_answers_forfeit_every_speed_point(body: dict) -> None:
    """Every client looks the same, and the answers the app gave while measured are checked: canned ones forfeit."""
    checks = {c["id"]: c for c in body["checks"]}
    # Correct for the suite, so only the measurements' own answer checks can catch it.
    assert all(checks[f"correct-{e}"]["outcome"] == "passed" for e in ENDPOINTS), _why(body)
    for check_id in [f"latency-{e}" for e in ENDPOINTS] + ["load-throughput"]:
        assert "differ from the database" in checks[check_id]["message"], checks[check_id]["message"]
    books = checks["queries-books-list"]
    assert "statement-count probes answered" in books["message"], books["message"]


def _planted_objects_are_refused_and_counts_stay_real(body: dict) -> None:
    """The app's role can create nothing the grader's superuser sessions would read, nor make itself a superuser."""
    checks = {c["id"]: c for c in body["checks"]}
    # Nothing got in (the integrity check lists foreign objects and the role's attributes).
    assert checks["data-intact"]["outcome"] == "passed", checks["data-intact"]["message"]
    # The N+1 of /authors/{id} is counted in full: the biggest sampled author has 25+ books.
    author = checks["queries-author"]
    assert "N+1" in author["message"], author["message"]
    assert author["evidence"][0]["candidate"]["large"]["median"] >= 25, author["evidence"]
    assert checks["queries-books-list"]["evidence"][0]["candidate"]["large"]["median"] >= 2
    logs = (body["run"]["logs"] or {}).get("app", "")
    assert "plant schema grader: refused" in logs, logs[-3000:]
    assert not re.search(r"plant [^:]+: planted", logs), logs[-3000:]


# What some variants must show beyond their failed checks (same grading, no second run).
VARIANT_EVIDENCE = {
    "canned-under-load": _canned_answers_forfeit_every_speed_point,
    "planted-objects": _planted_objects_are_refused_and_counts_stay_real,
}
