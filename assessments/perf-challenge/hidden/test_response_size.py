"""response-size: list answers stay small whatever per_page a client asks for.

``costly``: an oversized answer is a slow one; the first failure decides the check.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
import support

pytestmark = [pytest.mark.check("response-size"), pytest.mark.costly]


def size_of(http, url: str) -> int:
    response = http.get(url)
    assert response.status_code == 200, f"GET {url} answered {response.status_code}: {response.text[:300]}"
    return len(response.content)


@pytest.mark.parametrize(("url", "cap_kib"), [("/books", 16), ("/books?per_page=1000", 64)])
def test_books_size(http, url, cap_kib):
    size = size_of(http, url)
    assert size <= cap_kib * 1024, f"GET {url} answered {size} bytes, more than {cap_kib} KiB"


def test_orders_size(http):
    email = support.scalar("SELECT customer_email FROM orders GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")
    url = f"/orders?customer_email={quote(email)}&per_page=1000"
    size = size_of(http, url)
    assert size <= 64 * 1024, f"GET {url} answered {size} bytes, more than 64 KiB"
