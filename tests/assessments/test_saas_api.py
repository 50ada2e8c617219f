"""The saas-api grading proves itself: correct solutions score 100, each seeded defect fails
exactly its checks, and attacks on the verdicts change nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.assessments.conftest import failed_checks

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "saas-api"
REFERENCE = FIXTURES / "reference"
VARIANTS = sorted(p for p in (FIXTURES / "variants").iterdir() if (p / "variant.yaml").is_file()) \
    if (FIXTURES / "variants").is_dir() else []
GRADER_SIDE = {"passwords-hashed-at-rest", "own-tests-pass", "lint-clean"}  # judged by the grader, not by HTTP
ATTACK_BASE = "expiry-ignored"  # its own tests pass, so no attack can flip a failing own test


def _expected(variant: Path) -> set[str]:
    return set(yaml.safe_load((variant / "variant.yaml").read_text())["expected_failures"])


def _critical(ids: set[str]) -> set[str]:
    from grader.specs import load_spec

    spec = load_spec(Path(__file__).resolve().parents[2] / "assessments" / "saas-api")
    return {i for i in ids if spec.check(i).severity == "critical"}


def test_reference_scores_full_marks_three_times_in_a_row(grade_repo):
    reports = [grade_repo("saas-api", REFERENCE) for _ in range(3)]
    for body in reports:
        assert body["status"] == "completed", body["failure_reason"]
        assert failed_checks(body) == set(), [(c["id"], c["message"]) for c in body["checks"] if c["outcome"] != "passed"]
        assert body["score"]["total"] == body["score"]["max"] == 100
        assert body["verdict"]["id"] == "strong" and body["critical_findings"] == []
    assert len({tuple((c["id"], c["outcome"]) for c in r["checks"]) for r in reports}) == 1


def test_a_correct_solution_in_another_style_scores_full_marks(grade_repo):
    body = grade_repo("saas-api", FIXTURES / "alternative")
    assert failed_checks(body) == set(), [(c["id"], c["message"]) for c in body["checks"] if c["outcome"] != "passed"]
    assert body["score"]["total"] == 100
    assert body["verdict"]["id"] == "strong"
    assert body["signals"]["structure"]["blueprints"] is False  # reported, never scored


def test_there_are_enough_seeded_defects():
    assert len(VARIANTS) >= 15


@pytest.mark.parametrize("variant", VARIANTS, ids=[v.name for v in VARIANTS])
def test_each_seeded_defect_fails_exactly_its_checks(grade_repo, variant):
    body = grade_repo("saas-api", REFERENCE, variant)
    assert body["status"] == "completed"
    assert failed_checks(body) == _expected(variant), {
        c["id"]: c["message"] for c in body["checks"] if c["outcome"] != "passed"
    }
    assert body["score"]["total"] < 100
    # The verdict the defect deserves, from the fixture's data; critical ones are named in one sentence each.
    assert body["verdict"]["id"] == yaml.safe_load((variant / "variant.yaml").read_text())["expected_verdict"]
    assert {f["check_id"] for f in body["critical_findings"]} == _critical(_expected(variant))
    assert all(f["sentence"] for f in body["critical_findings"])
    for check in body["checks"]:
        if check["outcome"] == "passed":
            continue
        assert check["message"], check["id"]
        if check["id"] not in GRADER_SIDE:  # hidden-suite failures carry the contract line and a transcript
            assert check["contract"], check["id"]
            transcript = check["evidence"][0]["transcript"]
            assert transcript and {"method", "path"} <= set(transcript[-1]), check["id"]


@pytest.mark.parametrize("attack", ["conftest-flip", "sitecustomize", "prewritten-report"])
def test_attacks_on_the_verdicts_change_nothing(grade_repo, attack):
    base = FIXTURES / "variants" / ATTACK_BASE
    body = grade_repo("saas-api", REFERENCE, base, FIXTURES / "attacks" / attack)
    assert failed_checks(body) == _expected(base)
    if attack == "conftest-flip":  # the candidate's own suite is theirs to fake; the report says they tried
        assert body["signals"]["structure"]["rewrites_test_reports"] is True


def test_symlinked_report_files_change_nothing(grade_repo):
    base = FIXTURES / "variants" / ATTACK_BASE
    body = grade_repo(
        "saas-api", REFERENCE, base,
        symlinks={"results.json": "/out/results.json", "out": "/out", "report.json": "/suite/conftest.py"},
    )
    assert failed_checks(body) == _expected(base)
