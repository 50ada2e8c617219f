"""The spread measured for an assessment version: stored beside it, found by its exact content."""

import shutil
from datetime import date

import pytest

from grader.services import stability
from grader.specs import load_spec
from tests.conftest import TEST_ASSESSMENTS

FIGURES = {  # the shape bench/stability.py summarises to
    "passes": 5,
    "fixtures": {"reference": {"range": 0.04}, "starter": {"range": 0.5}, "mid": {"range": 1.2}, "flawed": {"range": 0.1}},
    "checks": {"latency-orders": {"spread": 0.8}, "correct-orders": {"spread": 0.0}},
    "kendall_tau": {"1-2": 1.0, "1-3": 0.9, "2-3": 0.95},
}


@pytest.fixture
def spec(tmp_path):
    shutil.copytree(TEST_ASSESSMENTS / "notes-api", tmp_path / "notes-api")
    return load_spec(tmp_path / "notes-api")


def test_the_summary_keeps_the_largest_and_median_range_and_the_worst_agreement():
    spread = stability.from_figures(FIGURES, date(2026, 12, 7))
    assert (spread.largest_range, spread.median_range, spread.kendall_tau_min) == (1.2, 0.3, 0.9)
    assert spread.fixtures == 4 and spread.passes == 5
    assert spread.checks == {"latency-orders": 0.8}


def test_a_version_never_measured_has_no_spread(spec):
    assert stability.known(spec) is None


def test_a_stored_spread_is_found_for_the_same_content(spec):
    stability.store(spec, stability.from_figures(FIGURES, date(2026, 12, 7)))
    again = load_spec(spec.folder)
    assert again.content_hash == spec.content_hash  # the measurement is not part of what it measures
    assert stability.known(again)["largest_range"] == 1.2


def test_an_edited_version_does_not_inherit_the_old_spread(spec):
    stability.store(spec, stability.from_figures(FIGURES, date(2026, 12, 7)))
    (spec.folder / "assessment.yaml").write_text((spec.folder / "assessment.yaml").read_text() + "\n# edited\n")
    assert stability.known(load_spec(spec.folder)) is None


def test_a_damaged_file_is_ignored(spec):
    spec.stability_file.parent.mkdir()
    spec.stability_file.write_text('{"passes": "many"}')
    assert stability.known(spec) is None


def test_the_report_sentence_says_how_far_totals_moved():
    stored = stability.from_figures(FIGURES, date(2026, 12, 7)).model_dump(mode="json")
    assert stability.summary(stored) == (
        "repeated gradings of this version moved a total by at most 1.2 points "
        "(median 0.3; 4 fixtures graded 5 times, measured 2026-12-07)")
    assert stability.summary(None) is None
