"""Turning the perf harness's figures into check outcomes: pure functions, no containers."""

import pytest

from grader.strategies.perf.options import ErrorRateCheck, QueryCheck, RatioCheck
from grader.strategies.perf.scoring import query_outcome, ratio_credit, ratio_outcome


def _queries(small: float, large: float, status: int = 200) -> dict:
    probe = [{"path": "/x", "status": status, "ms": 1.0}]
    return {"queries": {"author": {"small": {"median": small, "counts": [small], "probes": probe},
                                   "large": {"median": large, "counts": [large], "probes": probe}}}}


def _load(endpoint: dict, duration: float = 10.0) -> dict:
    return {"load": {"duration_s": duration, "endpoints": {"author": endpoint}, "total": endpoint}}


STARTER = _queries(4, 31)
RULE = QueryCheck(endpoint="author", max_per_request=6, max_growth=1)


def test_flat_small_counts_pass_and_cite_the_starter():
    outcome = query_outcome("q", RULE, STARTER, _queries(2, 2))
    assert outcome.outcome == "passed"
    assert "starter: 4 and 31" in outcome.message
    assert outcome.evidence[0]["candidate"]["large"]["median"] == 2


def test_a_count_that_grows_with_the_size_is_an_n_plus_one():
    outcome = query_outcome("q", RULE, STARTER, _queries(3, 5))
    assert outcome.outcome == "failed" and "N+1" in outcome.message


def test_too_many_statements_fail_even_when_flat():
    assert query_outcome("q", RULE, STARTER, _queries(9, 9)).outcome == "failed"


def test_a_probe_that_errors_cannot_pass_with_zero_statements():
    outcome = query_outcome("q", RULE, STARTER, _queries(0, 0, status=500))
    assert outcome.outcome == "failed" and "500" in outcome.message


@pytest.mark.parametrize(("ratio", "credit"), [(1.0, 0.0), (2.0, 0.0), (20.0, 1.0), (100.0, 1.0)])
def test_ratio_credit_is_zero_below_and_full_above_the_thresholds(ratio, credit):
    assert ratio_credit(ratio, 2, 20) == credit


def test_ratio_credit_is_log_scaled_and_continuous_between():
    assert ratio_credit(2 * 10**0.5, 2, 20) == pytest.approx(0.5)
    assert ratio_credit(6.0, 2, 20) < ratio_credit(6.1, 2, 20) < ratio_credit(6.2, 2, 20)


LATENCY = RatioCheck(endpoint="author", metric="p95", zero_at=2, full_at=10)


def test_p95_ratio_is_the_starters_over_the_candidates():
    starter = _load({"requests": 20, "failures": 0, "error_rate": 0.0, "p95": 2000})
    outcome = ratio_outcome("l", LATENCY, starter, _load({"requests": 900, "failures": 0, "error_rate": 0.0, "p95": 40}), 5000)
    assert outcome.outcome == "passed" and outcome.credit == 1.0
    assert outcome.evidence[0]["ratio"] == 50.0


def test_a_starter_that_completed_nothing_counts_as_the_timeout():
    starter = _load({"requests": 0, "failures": 0, "error_rate": None, "p95": None})
    outcome = ratio_outcome("l", LATENCY, starter, _load({"requests": 100, "failures": 0, "error_rate": 0.0, "p95": 1000}), 5000)
    assert outcome.evidence[0]["ratio"] == 5.0
    assert outcome.outcome == "partial" and 0 < outcome.credit < 1


def test_fast_failures_are_not_speed():
    starter = _load({"requests": 20, "failures": 0, "error_rate": 0.0, "p95": 2000})
    candidate = _load({"requests": 900, "failures": 300, "error_rate": 0.33, "p95": 2})
    outcome = ratio_outcome("l", LATENCY, starter, candidate, 5000)
    assert outcome.outcome == "failed" and outcome.credit == 0.0


def test_throughput_counts_successful_requests_only():
    rule = RatioCheck(endpoint="total", metric="rps", zero_at=2, full_at=10)
    starter = _load({"requests": 30, "failures": 10, "error_rate": 0.33})
    candidate = _load({"requests": 400, "failures": 0, "error_rate": 0.0})
    outcome = ratio_outcome("t", rule, starter, candidate, 5000)
    assert outcome.evidence[0]["ratio"] == 20.0 and outcome.outcome == "passed"


def test_error_rate_rule_defaults_to_one_percent():
    assert ErrorRateCheck().max_error_rate == 0.01
