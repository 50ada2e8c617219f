"""Fixtures of the perf-challenge hidden suite (runs in the tester container only).

The app, its database and the fake stock service run in their own containers; the
suite reaches them through APP_URL, DB_DSN (superuser, for the oracle), DB_DSN_BASELINE
(the starter's untouched copy of the data), STOCK_URL and STOCK_CONTROL_TOKEN.
"""

from __future__ import annotations

import integrity
import pytest
import support


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test carries its latest HTTP exchanges, so interviewers see what the app answered."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed and support.TEST_EXCHANGES:
        report.user_properties.append(("evidence", {"transcript": support.transcript()}))


@pytest.fixture(autouse=True)
def _fresh_transcript():
    support.TEST_EXCHANGES.clear()
    yield


@pytest.fixture(scope="session")
def http():
    with support.app_client() as client:
        yield client


@pytest.fixture(scope="session")
def stock():
    return support.stock()


@pytest.fixture(scope="session", autouse=True)
def data_snapshot():
    """Taken first, before any test writes (session autouse fixtures run before the first test)."""
    return integrity.snapshot()


@pytest.fixture(scope="session", autouse=True)
def _stock_ok():
    """Every test but the stock ones expects a healthy stock service, whatever a previous run left behind."""
    support.stock().set_mode("ok")
    yield
    support.stock().set_mode("ok")
