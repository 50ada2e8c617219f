"""Fixtures of the saas-api hidden suite (runs in the tester container only).

Two app instances: ``main`` (long token lifetimes, generous rate limit) for
behaviour, ``strict`` (3 s access tokens, 6 s refresh tokens, 20 requests per
minute per tenant) for expiry and rate limiting.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import pytest
import support

FINAL_PHASES = ("expiry", "burst", "last")  # markers of the tests that run after all others, in this order


def pytest_collection_modifyitems(items):
    """Run the expiry checks, then the rate-limit bursts, then the whole-run scans, after everything else.

    The expiry checks' tokens are issued at session start and expire while the other
    tests run. The bursts follow them so that a limiter wrongly shared by all tenants
    (a failure of its own check) cannot answer the expiry checks 429. The sort is stable:
    within a phase the order given is kept (file order, or the tester plugin's seeded
    shuffle with ``--grader-seed``, which runs before this hook).
    """
    items.sort(key=lambda item: next((i for i, name in enumerate(FINAL_PHASES, 1) if item.get_closest_marker(name)), 0))


def pytest_configure(config):
    config.addinivalue_line("markers", "expiry: checks tokens issued at session start; runs after the other tests")
    config.addinivalue_line("markers", "burst: exhausts a rate budget on strict; runs after the expiry checks")
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
    """Two tenants with an admin, a member, a project and a task each (never deleted).

    Shared by tests in any order, so nothing here is ever changed in a way another test
    could notice: its users' tokens are never replaced, refreshed or revoked (a test that
    logs in, refreshes or logs out builds a user of its own with ``Api.add_user``).
    """

    def __init__(self, api: support.Api) -> None:
        self.a = api.signup()
        self.b = api.signup()
        self.a_member = api.add_user(self.a)
        self.b_member = api.add_user(self.b)
        self.a_project = api.project(self.a.admin)
        self.b_project = api.project(self.b.admin)
        self.a_task = api.task(self.a.admin, self.a_project["id"])
        self.b_task = api.task(self.b.admin, self.b_project["id"])
        for user in (self.a.admin, self.b.admin, self.a_member, self.b_member):
            user.shared = True


@pytest.fixture(scope="session")
def world(api) -> World:
    return World(api)


@dataclass(frozen=True)
class Issued:
    """A tenant of its own on strict, signed up at session start so its tokens age while other tests run."""

    admin: support.User | None = field(repr=False)  # None when the strict instance failed at session start
    at: float  # time.monotonic() once the login answered, so no earlier than the tokens' issue
    exchanges: list[dict] = field(repr=False)  # what the signup (and probe) sent and got: evidence for a failed check
    failure: str = ""  # why the strict instance failed
    fresh_status: int = 0  # GET /users/me with the fresh access token, when probed

    def admin_or_fail(self) -> support.User:
        """The admin; a broken strict instance fails only the expiry check asking, with the exchanges as evidence."""
        support.TEST_EXCHANGES.extend(self.exchanges)
        if self.admin is None:
            raise AssertionError(f"the strict instance failed at session start: {self.failure}")
        return self.admin

    def wait_past(self, ttl_seconds: int) -> None:
        """Sleep what remains until the tokens are past their lifetime, the contract's 2 s leeway and 1 s more."""
        time.sleep(max(0.0, self.at + ttl_seconds + 3 - time.monotonic()))


def _issue(strict: support.Api, probe: bool) -> Issued:
    start = len(support.ALL_EXCHANGES)
    try:
        admin = strict.signup().admin
        at = time.monotonic()
        status = strict.http.get(f"{support.API}/users/me", headers=admin.auth).status_code if probe else 0
    except Exception as exc:  # whatever broke, it must fail the expiry checks only, not the whole session
        return Issued(None, 0.0, support.ALL_EXCHANGES[start:], f"{type(exc).__name__}: {exc}")
    return Issued(admin, at, support.ALL_EXCHANGES[start:], fresh_status=status)


@pytest.fixture(scope="session", autouse=True)
def issued_at_start(strict) -> dict[str, Issued]:
    """Sign up the expiry checks' tenants before the first test, so no test waits out a whole lifetime."""
    return {"access": _issue(strict, probe=True), "refresh": _issue(strict, probe=False)}
