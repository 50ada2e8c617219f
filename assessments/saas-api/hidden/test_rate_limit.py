"""Per-tenant rate limits, on the strict instance (RATE_LIMIT_PER_MINUTE small)."""

import pytest
from support import API, assert_error


def _burst(strict, user, path, limit):
    """Send up to ``limit`` requests; return the index and response of the first 429 (or None)."""
    for index in range(limit):
        response = strict.http.get(f"{API}{path}", headers=user.auth)
        if response.status_code == 429:
            return index, response
    return None, None


def _budget(strict) -> int:
    return int(strict.env["RATE_LIMIT_PER_MINUTE"])


@pytest.mark.burst
@pytest.mark.costly
@pytest.mark.check("rate-limit-429")
def test_past_the_budget_requests_get_429_with_retry_after(strict):
    tenant = strict.signup()
    budget = _budget(strict)
    index, response = _burst(strict, tenant.admin, "/users/me", 2 * budget + 5)
    assert response is not None, f"no 429 after {2 * budget + 5} requests with a budget of {budget} per minute"
    assert index >= budget // 2, f"429 after only {index} requests with a budget of {budget}"
    assert_error(response, 429)
    retry_after = response.headers.get("Retry-After", "")
    assert retry_after.isdigit() and 1 <= int(retry_after) <= 60, f"Retry-After is {retry_after!r}"


@pytest.mark.burst
@pytest.mark.costly
@pytest.mark.check("rate-limit-per-tenant")
def test_one_tenant_cannot_starve_another(strict):
    greedy, quiet = strict.signup(), strict.signup()
    budget = _budget(strict)
    _, response = _burst(strict, greedy.admin, "/users/me", 2 * budget + 5)
    assert response is not None, "the greedy tenant was never limited"
    for _ in range(3):
        assert strict.http.get(f"{API}/users/me", headers=quiet.admin.auth).status_code == 200


@pytest.mark.burst
@pytest.mark.costly
@pytest.mark.check("rate-limit-all-statuses")
def test_requests_that_fail_count_too(strict):
    tenant = strict.signup()
    budget = _budget(strict)
    _, response = _burst(strict, tenant.admin, "/projects/987654321", 2 * budget + 5)
    assert response is not None, f"{2 * budget + 5} requests answering 404 were never limited"
