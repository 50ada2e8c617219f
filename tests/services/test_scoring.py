"""Scoring is a pure function of the rubric and the outcomes."""

import json
from pathlib import Path

from grader.services.scoring import score
from grader.specs import load_spec
from grader.strategies.base import CheckOutcome
from grader.strategies.report import outcomes_from_report
from tests.conftest import TEST_ASSESSMENTS

SPEC = load_spec(TEST_ASSESSMENTS / "notes-api")


def test_all_passed_scores_the_maximum():
    card = score(SPEC, tuple(CheckOutcome(c.id, "passed") for c in SPEC.checks))
    assert card.total == card.max == 100
    assert card.categories == {"correctness": {"score": 80, "max": 80}, "robustness": {"score": 20, "max": 20}}


def test_points_are_shared_by_weight_within_a_category():
    outcomes = tuple(CheckOutcome(c.id, "passed" if c.id != "create-note" else "failed") for c in SPEC.checks)
    card = score(SPEC, outcomes)
    create = next(c for c in card.checks if c.outcome.check_id == "create-note")
    assert create.max_points == round(80 * 2 / 6, 2) and create.points == 0
    assert card.total == round(100 - 80 * 2 / 6, 2)


def test_missing_outcomes_score_zero_as_not_run():
    card = score(SPEC, ())
    assert card.total == 0
    assert {c.outcome.outcome for c in card.checks} == {"not_run"}


def _report(*tests):
    return json.dumps({"tests": list(tests)}).encode()


def test_a_check_passes_only_if_every_test_for_it_passed():
    raw = _report(
        {"nodeid": "t::a", "check": "health", "outcome": "passed", "duration": 0.1},
        {"nodeid": "t::b", "check": "health", "outcome": "failed", "message": "boom", "detail": "trace"},
        {"nodeid": "t::c", "check": "get-note", "outcome": "passed", "evidence": [{"status": 200}]},
    )
    by_id = {o.check_id: o for o in outcomes_from_report(SPEC, raw, "n/a")}
    assert by_id["health"].outcome == "failed"
    assert by_id["health"].message == "boom"
    assert by_id["get-note"].outcome == "passed"
    assert by_id["get-note"].evidence == ({"status": 200},)
    assert by_id["list-notes"].outcome == "not_run"


def test_setup_errors_count_as_errors():
    raw = _report({"nodeid": "t::a", "check": "health", "outcome": "error", "message": "fixture broke"})
    by_id = {o.check_id: o for o in outcomes_from_report(SPEC, raw, "n/a")}
    assert by_id["health"].outcome == "error"


def test_unreadable_or_missing_reports_mean_not_run():
    assert {o.outcome for o in outcomes_from_report(SPEC, b"{not json", "x")} == {"not_run"}
    assert {o.message for o in outcomes_from_report(SPEC, None, "tester crashed")} == {"tester crashed"}


PERF = load_spec(Path(__file__).resolve().parents[2] / "assessments" / "perf-challenge")


def _all_passed(**overrides: CheckOutcome) -> tuple[CheckOutcome, ...]:
    return tuple(overrides.get(c.id) or CheckOutcome(c.id, "passed") for c in PERF.checks)


def test_a_measured_credit_scores_its_share_of_the_points():
    card = score(PERF, _all_passed(**{"latency-author": CheckOutcome("latency-author", "partial", credit=0.5)}))
    latency = next(c for c in card.checks if c.outcome.check_id == "latency-author")
    assert latency.points == round(latency.max_points / 2, 2)
    assert card.total == round(100 - latency.max_points / 2, 2)


def test_a_wrong_endpoint_forfeits_its_speed_points():
    card = score(PERF, _all_passed(**{"correct-author": CheckOutcome("correct-author", "failed", message="wrong")}))
    latency = next(c for c in card.checks if c.outcome.check_id == "latency-author")
    throughput = next(c for c in card.checks if c.outcome.check_id == "load-throughput")
    assert latency.points == 0 and latency.outcome.outcome == "failed"
    assert latency.outcome.message.startswith("forfeited: correct-author did not pass")
    assert throughput.points == 0  # fast and wrong is not fast, overall either
    untouched = next(c for c in card.checks if c.outcome.check_id == "latency-orders")
    assert untouched.points == untouched.max_points
