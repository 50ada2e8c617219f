"""The verdict is a pure function of severities, outcomes and the score bands in the assessment's data."""

from pathlib import Path

import pytest

from grader.services.verdicts import CheckState, decide
from grader.specs import load_spec

SAAS = load_spec(Path(__file__).resolve().parents[2] / "assessments" / "saas-api")


def _states(failed: dict[str, str] | None = None) -> list[CheckState]:
    failed = failed or {}
    return [CheckState(c.id, failed.get(c.id, "passed")) for c in SAAS.checks]


def test_a_tenant_leak_is_critical_whatever_the_score():
    verdict = decide(SAAS, _states({"iso-get": "failed"}), 96.0, 100.0)
    assert verdict.id == "critical"
    assert [f.check_id for f in verdict.critical_findings] == ["iso-get"]
    assert "tenant" in verdict.critical_findings[0].sentence.lower()


def test_a_full_score_is_strong():
    verdict = decide(SAAS, _states(), 100.0, 100.0)
    assert verdict.id == "strong" and verdict.critical_findings == ()


def test_a_failed_major_check_keeps_a_high_score_from_strong():
    assert decide(SAAS, _states({"rate-limit-429": "failed"}), 95.0, 100.0).id == "mixed"


def test_a_failed_minor_check_keeps_strong():
    assert decide(SAAS, _states({"lint-clean": "failed"}), 98.0, 100.0).id == "strong"


def test_a_low_score_without_critical_failures_is_weak():
    assert decide(SAAS, _states({"pagination": "failed"}), 40.0, 100.0).id == "weak"


def test_nothing_ran_is_did_not_run_not_critical():
    states = [CheckState(c.id, "not_run") for c in SAAS.checks]
    verdict = decide(SAAS, states, 0.0, 100.0)
    assert verdict.id == "did-not-run" and verdict.critical_findings == ()


@pytest.mark.parametrize("outcome", ["partial", "not_run"])
def test_only_failures_and_errors_are_findings(outcome):
    assert decide(SAAS, _states({"iso-get": outcome}), 97.0, 100.0).id != "critical"


def test_an_override_to_full_points_clears_the_finding():
    states = [s if s.check_id != "iso-get" else CheckState("iso-get", "failed", overridden_to_full=True) for s in _states()]
    assert decide(SAAS, states, 100.0, 100.0).id == "strong"
