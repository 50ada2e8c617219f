"""pytest plugin baked into the tester image: write one JSON line per hidden test.

The grader maps tests to rubric checks with ``@pytest.mark.check("check-id")``.
It runs only in the tester container, which the candidate's code never enters,
so what it writes is the verdict.  Evidence for interviewers travels in
``record_property("evidence", {...})``.

A test marked ``@pytest.mark.costly`` (a burst of requests, a wait) is skipped once
an earlier test of its check failed: the check has failed whatever it would show.

``--grader-seed=N`` runs the tests in a random order drawn from ``N`` (the grader asks
for it only to prove that verdicts do not depend on order; by default, file order).
The shuffle runs first, so a suite's own ordering hook (e.g. phases that must come
last) still sorts on top of it, and its stable sort keeps the shuffle within each phase.
"""

from __future__ import annotations

import json
import os
import random

import pytest

_CAP = 4000
_RESULTS: list[dict] = []
_FAILED_CHECKS: set[str] = set()  # checks with a failed or errored test so far


def pytest_addoption(parser):
    parser.addoption("--grader-report", default=None, help="write per-test results as JSON here")
    parser.addoption("--grader-seed", type=int, default=None, help="run the tests in a random order drawn from this seed")


def pytest_configure(config):
    config.addinivalue_line("markers", "check(id): the rubric check this test proves")
    config.addinivalue_line("markers", "costly: skipped once an earlier test of the same check failed")


_EXTRA: dict = {}


@pytest.fixture(scope="session")
def grader_extra() -> dict:
    """Session-wide data for the grader (e.g. the passwords used, for the at-rest scan)."""
    return _EXTRA


def pytest_report_header(config):
    seed = config.getoption("--grader-seed")
    return f"grader: random order, seed {seed}" if seed is not None else None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Shuffle the tests when a seed is given, before any suite's own ordering hook runs."""
    seed = config.getoption("--grader-seed")
    if seed is not None:
        random.Random(seed).shuffle(items)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Skip a costly test of a failed check before its fixtures run: it cannot change the verdict."""
    marker = item.get_closest_marker("check")
    check = marker.args[0] if marker and marker.args else None
    if check in _FAILED_CHECKS and item.get_closest_marker("costly"):
        pytest.skip(f"check {check} already failed; costly test not run")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    marker = item.get_closest_marker("check")
    report.grader_check = marker.args[0] if marker and marker.args else None


def pytest_runtest_logreport(report):
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        message = ""
        if report.failed:
            crash = getattr(report.longrepr, "reprcrash", None)
            message = crash.message if crash is not None else str(report.longrepr)
        elif report.skipped and isinstance(report.longrepr, tuple):
            message = str(report.longrepr[2])
        if report.failed and getattr(report, "grader_check", None):
            _FAILED_CHECKS.add(report.grader_check)
        evidence = [v for k, v in report.user_properties if k == "evidence"]
        _RESULTS.append(
            {
                "nodeid": report.nodeid,
                "check": getattr(report, "grader_check", None),
                "outcome": "error" if report.when == "setup" and report.failed else report.outcome,
                "duration": round(report.duration, 4),
                "message": message[:_CAP],
                "detail": (str(report.longrepr) if report.failed else "")[-_CAP:],
                "output": (report.capstdout + report.capstderr)[-_CAP:],
                "evidence": evidence,
            }
        )


def pytest_sessionfinish(session, exitstatus):
    path = session.config.getoption("--grader-report")
    if not path:
        return
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        seed = session.config.getoption("--grader-seed")
        json.dump({"exitstatus": int(exitstatus), "seed": seed, "tests": _RESULTS, "extra": _EXTRA}, fh, default=str)
    os.replace(tmp, path)
