"""The saas-api grading proves itself: correct solutions score 100 (in any test order), each
seeded defect fails exactly its checks, hostile answers fail only the checks that asked, and
attacks on the verdicts change nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from grader.strategies import toolkit
from tests.assessments.conftest import failed_checks

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "saas-api"
REFERENCE = FIXTURES / "reference"
# Correct solutions written from the contract in other styles: each scores 100.
#   alternative: one module, MethodViews over sqlite3, UUID ids;
#   jwt-extended: Flask-JWT-Extended, access tokens revoked at logout too, `return "", 204` (text/html);
#   smorest: flask-smorest, marshmallow 422s whose details name the field (e.g. admin_password).
CORRECT = ["alternative", "jwt-extended", "smorest"]
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


@pytest.fixture
def suite_commands(monkeypatch) -> list[tuple[str, ...]]:
    """Every hidden-suite command line the gradings of this test build."""
    seen, real = [], toolkit.suite_command

    def spy(ctx):
        seen.append(real(ctx))
        return seen[-1]

    monkeypatch.setattr(toolkit, "suite_command", spy)
    return seen


def test_reference_scores_full_marks_in_file_order_and_in_two_random_orders(grade_repo, monkeypatch, suite_commands):
    reports = []
    for seed in (None, 1, 2):
        if seed is None:
            monkeypatch.delenv(toolkit.SUITE_SEED_ENV, raising=False)
        else:
            monkeypatch.setenv(toolkit.SUITE_SEED_ENV, str(seed))
        reports.append(grade_repo("saas-api", REFERENCE))
    for body in reports:
        assert body["status"] == "completed", body["failure_reason"]
        assert failed_checks(body) == set(), [(c["id"], c["message"]) for c in body["checks"] if c["outcome"] != "passed"]
        assert body["score"]["total"] == body["score"]["max"] == 100
        assert body["verdict"]["id"] == "strong" and body["critical_findings"] == []
    assert len({tuple((c["id"], c["outcome"]) for c in r["checks"]) for r in reports}) == 1
    seeds = [[arg for arg in command if arg.startswith("--grader-seed")] for command in suite_commands]
    assert seeds == [[], ["--grader-seed=1"], ["--grader-seed=2"]]


@pytest.mark.parametrize("solution", CORRECT)
def test_a_correct_solution_in_another_style_scores_full_marks(grade_repo, solution):
    body = grade_repo("saas-api", FIXTURES / solution)
    assert body["status"] == "completed", body["failure_reason"]
    assert failed_checks(body) == set(), [(c["id"], c["message"]) for c in body["checks"] if c["outcome"] != "passed"]
    assert body["score"]["total"] == 100
    assert body["verdict"]["id"] == "strong"
    if solution == "alternative":
        assert body["signals"]["structure"]["blueprints"] is False  # reported, never scored


ORDER_PROBE = """
import json, os
import pytest

@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    phases = ("expiry", "burst", "last")
    order = [[i.nodeid, next((p for p in phases if i.get_closest_marker(p)), "")] for i in items]
    with open(os.environ["ORDER_OUT"], "w") as fh:
        json.dump(order, fh)
"""


def _collected_order(tmp_path: Path, seed: int | None) -> list[tuple[str, str]]:
    """The hidden suite's run order (node id, phase) as the tester plugin and the suite's hooks leave it."""
    (tmp_path / "order_probe.py").write_text(ORDER_PROBE)
    (tmp_path / "jwt").mkdir(exist_ok=True)  # PyJWT lives in the tester image; collecting needs only the name
    (tmp_path / "jwt" / "__init__.py").write_text("")
    out = tmp_path / f"order-{seed}.json"
    suite = ROOT / "assessments" / "saas-api" / "hidden"
    env = {**os.environ, "ORDER_OUT": str(out),
           "PYTHONPATH": os.pathsep.join([str(ROOT / "sandbox" / "images" / "tester"), str(tmp_path)])}
    command = [sys.executable, "-m", "pytest", "-p", "grader_report", "-p", "order_probe", "-p", "no:cacheprovider",
               "-c", os.devnull, f"--rootdir={suite}", "--collect-only", "-q", str(suite)]
    result = subprocess.run(command + ([f"--grader-seed={seed}"] if seed is not None else []),
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    return [tuple(pair) for pair in json.loads(out.read_text())]


def test_a_seed_shuffles_the_hidden_suite_within_its_phases(tmp_path):
    """Random order keeps the phases (expiry, then bursts, then the whole-run scans) last, in order."""
    file_order, first, second = (_collected_order(tmp_path, seed) for seed in (None, 1, 2))
    phases = ["", "expiry", "burst", "last"]
    for order in (file_order, first, second):
        assert [phases.index(phase) for _, phase in order] == sorted(phases.index(phase) for _, phase in order)
        assert sorted(order) == sorted(file_order)
    assert {phase for _, phase in file_order} == set(phases)
    assert first != file_order and second != file_order and first != second
    assert _collected_order(tmp_path, 1) == first  # a seed is a reproducible order


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
