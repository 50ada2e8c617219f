"""Fixtures of the saas-api hidden suite (runs in the tester container only).

Two app instances: ``main`` (long token lifetimes, generous rate limit) for
behaviour, ``strict`` (3 s access tokens, 6 s refresh tokens, 20 requests per
minute per tenant) for expiry and rate limiting.
"""

from __future__ import annotations

import os

import pytest
import support


def pytest_collection_modifyitems(items):
    """Run the whole-run scans (marked ``last``) after everything else."""
    items.sort(key=lambda item: item.get_closest_marker("last") is not None)


def pytest_configure(config):
    config.addinivalue_line("markers", "last: scans every exchange of the run; runs at the end")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed and support.TEST_EXCHANGES:
        report.user_properties.append(("evidence", {"transcript": support.transcript(support.TEST_EXCHANGES)}))


@pytest.fixture(autouse=True)
def _fresh_transcript():
    support.TEST_EXCHANGES.clear()
    yield


@pytest.fixture(scope="session", autouse=True)
def _share_passwords(grader_extra):
    """Hand every password used to the grader, which scans the app's database for them."""
    grader_extra["secrets"] = support.PASSWORDS
    yield


def _env(instance: str) -> dict[str, str]:
    prefix = f"APP_ENV_{instance.upper()}_"
    return {k[len(prefix):]: v for k, v in os.environ.items() if k.startswith(prefix)}


@pytest.fixture(scope="session")
def api():
    with support.Recorder(os.environ["APP_URL_MAIN"], "main") as client:
        yield support.Api(client, _env("main"))


@pytest.fixture(scope="session")
def strict():
    with support.Recorder(os.environ["APP_URL_STRICT"], "strict") as client:
        yield support.Api(client, _env("strict"))


class World:
    """Two tenants with an admin, a member, a project and a task each (never deleted)."""

    def __init__(self, api: support.Api) -> None:
        self.a = api.signup()
        self.b = api.signup()
        self.a_member = api.add_user(self.a)
        self.b_member = api.add_user(self.b)
        self.a_project = api.project(self.a.admin)
        self.b_project = api.project(self.b.admin)
        self.a_task = api.task(self.a.admin, self.a_project["id"])
        self.b_task = api.task(self.b.admin, self.b_project["id"])


@pytest.fixture(scope="session")
def world(api) -> World:
    return World(api)
