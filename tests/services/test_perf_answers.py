"""Speed counts only for correct answers: the answers checked while measuring forfeit the measurement."""

from grader.strategies.perf.options import QueryCheck, RatioCheck
from grader.strategies.perf.scoring import query_outcome, ratio_outcome, wrong_answers


def _figures(answers: dict | None) -> dict:
    probe = [{"path": "/books?page=3&per_page=10", "status": 200, "ms": 1.0}]
    figures = {
        "queries": {"books-list": {"small": {"median": 2, "counts": [2], "probes": probe},
                                   "large": {"median": 2, "counts": [2], "probes": probe}}},
        "load": {"duration_s": 10, "endpoints": {"books-list": {"requests": 900, "failures": 0, "error_rate": 0.0, "p95": 20}},
                 "total": {"requests": 900, "failures": 0, "error_rate": 0.0, "p95": 20}},
    }
    if answers is not None:
        figures["answers"] = answers
    return figures


STARTER = {
    "queries": {"books-list": {"small": {"median": 200}, "large": {"median": 900}}},
    "load": {"duration_s": 10, "endpoints": {"books-list": {"requests": 20, "failures": 0, "error_rate": 0.0, "p95": 2000}},
             "total": {"requests": 20, "failures": 0, "error_rate": 0.0, "p95": 2000}},
}
WRONG = {"checked": 20, "wrong": 3, "unchecked": 0,
         "examples": [{"path": "/books?page=7&per_page=20", "differences": ["$.items: 0 entries, expected 20"], "body": "{}"}]}
RIGHT = {"checked": 20, "wrong": 0, "unchecked": 0, "examples": []}
LATENCY = RatioCheck(endpoint="books-list", metric="p95", zero_at=2, full_at=8)
THROUGHPUT = RatioCheck(endpoint="total", metric="rps", zero_at=2, full_at=10)
QUERIES = QueryCheck(endpoint="books-list")


def test_correct_answers_keep_their_speed_credit():
    after = _figures({"probes": {"books-list": RIGHT}, "load": {"books-list": RIGHT}})
    assert ratio_outcome("l", LATENCY, STARTER, after, 30_000).credit == 1.0
    assert ratio_outcome("t", THROUGHPUT, STARTER, after, 30_000).credit == 1.0
    assert query_outcome("q", QUERIES, STARTER, after).outcome == "passed"


def test_a_wrong_answer_under_load_forfeits_latency_and_throughput_naming_it():
    after = _figures({"probes": {"books-list": RIGHT}, "load": {"books-list": WRONG}})
    for rule in (LATENCY, THROUGHPUT):
        outcome = ratio_outcome("l", rule, STARTER, after, 30_000)
        assert outcome.outcome == "failed" and outcome.credit == 0.0
        assert "3 of 20 answers sampled under load differ" in outcome.message
        assert "/books?page=7&per_page=20" in outcome.message and "expected 20" in outcome.message
        assert outcome.evidence[0]["answers"]["wrong"] == 3
    assert query_outcome("q", QUERIES, STARTER, after).outcome == "passed"


def test_a_wrong_probe_answer_forfeits_the_statement_count():
    after = _figures({"probes": {"books-list": WRONG}, "load": {"books-list": RIGHT}})
    outcome = query_outcome("q", QUERIES, STARTER, after)
    assert outcome.outcome == "failed" and "statement-count probes answered differently" in outcome.message


def test_a_load_window_with_no_checkable_answer_forfeits():
    unchecked = {"checked": 0, "wrong": 0, "unchecked": 5, "examples": [], "unchecked_reasons": ["the oracle failed"]}
    after = _figures({"probes": {"books-list": RIGHT}, "load": {"books-list": unchecked}})
    assert "could be checked" in wrong_answers(after, "load", "books-list")
    assert ratio_outcome("l", LATENCY, STARTER, after, 30_000).credit == 0.0


def test_unchecked_figures_are_scored_as_before():
    """The starter's figures are never checked (it is the yardstick), and neither were older runs'."""
    assert wrong_answers(_figures(None), "load", "books-list") is None
    assert ratio_outcome("l", LATENCY, STARTER, _figures(None), 30_000).credit == 1.0
