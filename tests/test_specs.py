"""Assessment definitions are validated by one schema."""

import pytest

from grader.services import catalog
from grader.specs import SpecError, VerdictWhen, load_spec
from tests.conftest import TEST_ASSESSMENTS

BASE = """slug: demo
version: 1
title: Demo
app: {command: ["python", "-m", "x"]}
categories: {a: {points: 10}}
"""


def _write(tmp_path, body, suite=True):
    if suite:
        (tmp_path / "hidden").mkdir(exist_ok=True)
    (tmp_path / "assessment.yaml").write_text(body)
    return tmp_path


def test_fixture_assessment_loads_with_hashes():
    spec = load_spec(TEST_ASSESSMENTS / "notes-api")
    assert spec.slug == "notes-api"
    assert len(spec.content_hash) == 64 and len(spec.suite_hash) == 64
    assert spec.content_hash != spec.suite_hash


@pytest.mark.parametrize(
    "checks,message",
    [
        ("checks: [{id: one, category: b, severity: minor}]", "unknown category"),
        ("checks: [{id: one, category: a, severity: minor}, {id: one, category: a, severity: minor}]", "appears twice"),
        ("checks: [{id: 'Bad Id', category: a, severity: minor}]", "pattern"),
        ("checks: [{id: one, category: a, severity: minor, weight: 0}]", "greater than 0"),
        ("checks: [{id: one, category: a, severity: minor}]\nsurprise: 1", "Extra inputs"),
        ("checks: [{id: one, category: a, severity: minor, requires: [two]}]", "requires unknown check"),
        ("checks: [{id: one, category: a, severity: minor, requires: [one]}]", "requires unknown check"),
        ("checks: [{id: one, category: a, severity: minor}]\nimages: {db: nowhere}", "Dockerfile is missing"),
        ("checks: [{id: one, category: a, severity: minor}]\nhandout: {source: nowhere}", "handout source folder"),
    ],
)
def test_invalid_definitions_are_refused(tmp_path, checks, message):
    with pytest.raises(SpecError, match=message):
        load_spec(_write(tmp_path, BASE + checks + "\n"))


def test_missing_hidden_suite_is_refused(tmp_path):
    with pytest.raises(SpecError, match="hidden suite"):
        load_spec(_write(tmp_path, BASE + "checks: [{id: one, category: a, severity: minor}]\n", suite=False))


def test_category_without_checks_is_refused(tmp_path):
    body = BASE.replace("{a: {points: 10}}", "{a: {points: 10}, b: {points: 5}}")
    body += "checks: [{id: one, category: a, severity: minor}]\n"
    with pytest.raises(SpecError, match="has no checks"):
        load_spec(_write(tmp_path, body))


def test_both_product_assessments_validate():
    root = TEST_ASSESSMENTS.parents[2] / "assessments"
    assert {catalog.load(root / slug).strategy.name for slug in ("saas-api", "perf-challenge")} == {
        "service-tester", "perf-harness"
    }


@pytest.mark.parametrize(
    "extra,message",
    [
        ("strategy: nope", "unknown strategy"),
        ("strategy: perf-harness", "options"),
        ("options: {anything: 1}", "takes no options"),
    ],
)
def test_the_catalog_refuses_what_the_strategy_cannot_run(tmp_path, extra, message):
    folder = _write(tmp_path, BASE + "checks: [{id: one, category: a, severity: minor}]\n" + extra + "\n")
    load_spec(folder)  # the data alone is well formed
    with pytest.raises(SpecError, match=message):
        catalog.load(folder)


def test_the_catalog_parses_a_strategys_options_once():
    plan = catalog.load(TEST_ASSESSMENTS.parents[2] / "assessments" / "perf-challenge")
    assert plan.options.database.image in plan.spec.images


def test_check_without_severity_is_refused(tmp_path):
    with pytest.raises(SpecError, match=r"severity\s+Field required"):
        load_spec(_write(tmp_path, BASE + "checks: [{id: one, category: a}]\n"))


def test_critical_check_without_finding_is_refused(tmp_path):
    body = BASE + "checks: [{id: one, category: a, severity: critical}]\n"
    with pytest.raises(SpecError, match="critical check 'one' needs a finding"):
        load_spec(_write(tmp_path, body))
    body = BASE + 'checks: [{id: one, category: a, severity: critical, finding: "Data leaks."}]\n'
    assert load_spec(_write(tmp_path, body)).check("one").finding == "Data leaks."


def test_verdicts_whose_last_rule_has_conditions_are_refused(tmp_path):
    body = BASE + """checks: [{id: one, category: a, severity: minor}]
verdicts:
  - {id: good, label: Good, when: {min_score_pct: 80}}
  - {id: bad, label: Bad, when: {failed_severity: critical}}
"""
    with pytest.raises(SpecError, match="last verdict rule must have no conditions"):
        load_spec(_write(tmp_path, body))


def test_custom_verdicts_load(tmp_path):
    body = BASE + """checks: [{id: one, category: a, severity: major}]
expected_time: "about 2 hours"
verdicts:
  - {id: broken, label: Broken, tone: critical, when: {failed_severity: major}}
  - {id: fine, label: Fine, tone: good, meaning: "Nothing major failed.", when: {min_score_pct: 50, max_failed_major: 0}}
  - {id: poor, label: Poor}
"""
    spec = load_spec(_write(tmp_path, body))
    assert [v.id for v in spec.verdicts] == ["broken", "fine", "poor"]
    assert spec.verdicts[0].when.failed_severity == "major" and spec.verdicts[1].when.min_score_pct == 50
    assert spec.verdicts[2].when == VerdictWhen() and spec.expected_time == "about 2 hours"
