"""correct-author: GET /authors/{id} against the database, 404s, and freshness after a review."""

from __future__ import annotations

import random

import pytest
import support

pytestmark = pytest.mark.check("correct-author")


def test_sampled_authors(http):
    prolific = support.scalar("SELECT author_id FROM books GROUP BY author_id ORDER BY count(*) DESC, author_id LIMIT 1")
    bookless = support.scalar("SELECT min(id) FROM authors a WHERE NOT EXISTS (SELECT 1 FROM books b WHERE b.author_id = a.id)")
    ids = [r[0] for r in support.rows("SELECT id FROM authors ORDER BY id")]
    for author_id in [prolific, bookless, *random.Random(11).sample(ids, 3)]:
        support.assert_matches(
            support.get_json(http, f"/authors/{author_id}"), support.author(author_id), f"GET /authors/{author_id}"
        )
    assert support.author(bookless)["books"] == [], "sanity: the oracle's bookless author has books"


@pytest.mark.parametrize("author_id", ["0", "missing", "2147483648", "99999999999"])
def test_unknown_author_is_404(http, author_id):
    if author_id == "missing":
        author_id = str(support.scalar("SELECT max(id) + 100000 FROM authors"))
    support.assert_error(http.get(f"/authors/{author_id}"), 404, "not_found")


def test_fresh_after_review(http):
    book_id = support.slot_book(
        support.SLOT_AUTHOR, "(SELECT count(*) FROM books o WHERE o.author_id = b.author_id) BETWEEN 3 AND 30"
    )
    author_id = support.scalar("SELECT author_id FROM books WHERE id = %s", (book_id,))
    url = f"/authors/{author_id}"
    support.get_json(http, url)
    support.warm(http, url)
    support.post_review(http, book_id, rating=3)
    support.assert_fresh(http, url, support.author(author_id), f"GET {url} after POST /reviews on book {book_id}")
