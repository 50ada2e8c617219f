"""Assessment definitions are validated by one schema."""

import pytest

from grader.specs import SpecError, load_spec
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
        ("checks: [{id: one, category: b}]", "unknown category"),
        ("checks: [{id: one, category: a}, {id: one, category: a}]", "appears twice"),
        ("checks: [{id: 'Bad Id', category: a}]", "pattern"),
        ("checks: [{id: one, category: a, weight: 0}]", "greater than 0"),
        ("checks: [{id: one, category: a}]\nstrategy: nope", "unknown strategy"),
        ("checks: [{id: one, category: a}]\nsurprise: 1", "Extra inputs"),
        ("checks: [{id: one, category: a, requires: [two]}]", "requires unknown check"),
        ("checks: [{id: one, category: a, requires: [one]}]", "requires unknown check"),
        ("checks: [{id: one, category: a}]\nimages: {db: nowhere}", "Dockerfile is missing"),
        ("checks: [{id: one, category: a}]\nhandout: {source: nowhere}", "handout source folder"),
        ("checks: [{id: one, category: a}]\nstrategy: perf-harness", "options"),
    ],
)
def test_invalid_definitions_are_refused(tmp_path, checks, message):
    with pytest.raises(SpecError, match=message):
        load_spec(_write(tmp_path, BASE + checks + "\n"))


def test_missing_hidden_suite_is_refused(tmp_path):
    with pytest.raises(SpecError, match="hidden suite"):
        load_spec(_write(tmp_path, BASE + "checks: [{id: one, category: a}]\n", suite=False))


def test_category_without_checks_is_refused(tmp_path):
    body = BASE.replace("{a: {points: 10}}", "{a: {points: 10}, b: {points: 5}}") + "checks: [{id: one, category: a}]\n"
    with pytest.raises(SpecError, match="has no checks"):
        load_spec(_write(tmp_path, body))


def test_both_product_assessments_validate():
    root = TEST_ASSESSMENTS.parents[2] / "assessments"
    assert {load_spec(root / slug).strategy for slug in ("saas-api", "perf-challenge")} == {"service-tester", "perf-harness"}
