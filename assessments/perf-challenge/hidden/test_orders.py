"""correct-orders: GET /orders pages for sampled customers, validation and unknown customers."""

from __future__ import annotations

from urllib.parse import quote

import pytest
import support

pytestmark = pytest.mark.check("correct-orders")


def biggest_customer() -> str:
    return support.scalar("SELECT customer_email FROM orders GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")


def url_for(email: str, **params) -> str:
    extra = "".join(f"&{k}={v}" for k, v in params.items())
    return f"/orders?customer_email={quote(email)}{extra}"


def test_sampled_customers(http):
    big = biggest_customer()
    total = support.orders_page(big)["total"]
    # A customer whose orders share created_at (ties are broken by id desc).
    tied = support.scalar(
        """
        SELECT customer_email FROM orders o GROUP BY customer_email
        HAVING count(*) BETWEEN 5 AND 100 AND count(*) > count(DISTINCT created_at)
        ORDER BY customer_email LIMIT 1
        """
    )
    small = support.scalar("SELECT customer_email FROM orders GROUP BY 1 HAVING count(*) BETWEEN 2 AND 19 ORDER BY 1 LIMIT 1")
    cases = [
        (big, {}, 1, 20),
        (big, {"page": 2}, 2, 20),
        (big, {"page": 2, "per_page": 100}, 2, 100),
        (big, {"page": 3, "per_page": 1000}, 3, 100),  # clamped, and reported clamped
        (big, {"page": -(-total // 100), "per_page": 100}, -(-total // 100), 100),
        (big, {"page": -(-total // 100) + 1, "per_page": 100}, -(-total // 100) + 1, 100),  # past the end
        (tied, {"per_page": 100}, 1, 100),
        (small, {}, 1, 20),
        (small, {"page": "", "per_page": ""}, 1, 20),
    ]
    for email, params, page, per_page in cases:
        url = url_for(email, **params)
        support.assert_matches(support.get_json(http, url), support.orders_page(email, page, per_page), f"GET {url}")


def test_customer_email_required(http):
    for url in ("/orders", "/orders?customer_email=", "/orders?page=1"):
        support.assert_error(http.get(url), 422, "validation_error")


@pytest.mark.parametrize("param", ["page", "per_page"])
def test_bad_integer_parameters(http, param):
    email = biggest_customer()
    for value in ("0", "-1", "x", "1.5"):
        support.assert_error(http.get("/orders", params={"customer_email": email, param: value}), 422, "validation_error")


def test_unknown_customer_is_empty(http):
    for email in ("nobody-at-all@example.com", biggest_customer().upper()):  # exact, case-sensitive match
        body = support.get_json(http, url_for(email))
        support.assert_matches(body, {"items": [], "page": 1, "per_page": 20, "total": 0}, f"GET /orders for {email}")
