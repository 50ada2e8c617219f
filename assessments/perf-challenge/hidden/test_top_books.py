"""correct-top-books: GET /reports/top-books ranking, limits, validation and freshness after reviews."""

from __future__ import annotations

import pytest
import support

pytestmark = pytest.mark.check("correct-top-books")


def test_ranking_and_limits(http):
    cases = [
        ("/reports/top-books", 10),
        ("/reports/top-books?limit=", 10),
        ("/reports/top-books?limit=3", 3),
        ("/reports/top-books?limit=1000", 50),
    ]  # clamped to 50
    for url, limit in cases:
        support.assert_matches(support.get_json(http, url), support.top_books(limit), f"GET {url}")


def test_bad_limit(http):
    for value in ("0", "-1", "x", "1.5"):
        support.assert_error(http.get("/reports/top-books", params={"limit": value}), 422, "validation_error")


def test_fresh_after_reviews(http):
    """A book with only 5-star reviews, just outside the top 10, is pushed to the top by more 5-star reviews."""
    top = support.top_books(10)
    shown = {entry["id"] for entry in top}
    candidate = support.rows(
        """
        SELECT book_id, count(*) FROM reviews GROUP BY book_id HAVING count(*) >= 5 AND min(rating) = 5
        ORDER BY count(*), book_id DESC
        """
    )
    candidate = [(b, n) for b, n in candidate if b not in shown]
    assert candidate, "no book with only 5-star reviews outside the top 10 (data not as seeded)"
    book_id, count = candidate[0]
    needed = max(entry["review_count"] for entry in top) - count + 1
    url = "/reports/top-books"
    support.get_json(http, url)
    support.warm(http, url)
    for _ in range(needed):
        support.post_review(http, book_id, rating=5)
    expected = support.top_books(10)
    assert expected[0]["id"] == book_id, f"sanity: book {book_id} should now lead the oracle's ranking"
    support.assert_fresh(http, url, expected, f"GET {url} after {needed} 5-star reviews on book {book_id}")
