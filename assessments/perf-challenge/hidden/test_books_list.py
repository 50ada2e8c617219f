"""correct-books-list: GET /books pages, filters and validation, and freshness after writes.

Every test is ``costly``: against a slow app each /books read takes seconds, and once one
test of the check has failed the rest cannot change its verdict.
"""

from __future__ import annotations

import pytest
import support

pytestmark = [pytest.mark.check("correct-books-list"), pytest.mark.costly]


def page_body(http, url: str) -> dict:
    """The answer must be the paginated object; a bare array (the starter's shape) fails here."""
    body = support.get_json(http, url)
    assert isinstance(body, dict), f"GET {url} must answer {{items, page, per_page, total}}, got {type(body).__name__}"
    for key in ("items", "page", "per_page", "total"):
        assert key in body, f"GET {url}: missing {key!r} in the paginated answer"
    return body


def test_defaults_and_shape(http):
    expected = support.books_page(1, 20)
    for url in ("/books", "/books?page=&per_page=", "/books?page=1&per_page=20"):
        support.assert_matches(page_body(http, url), expected, f"GET {url}")


def test_sampled_pages(http):
    total = support.scalar("SELECT count(*) FROM books")
    last_20, last_100 = -(-total // 20), -(-total // 100)
    cases = [
        ("/books?per_page=1", 1, 1),
        (f"/books?per_page=1&page={total // 2}", total // 2, 1),
        ("/books?page=3", 3, 20),
        (f"/books?page={last_20 // 2}", last_20 // 2, 20),
        (f"/books?page={last_20}", last_20, 20),
        (f"/books?page={last_100}&per_page=100", last_100, 100),
        ("/books?page=2&per_page=100", 2, 100),
        ("/books?page=3&per_page=1000", 3, 100),  # clamped, and reported clamped
        (f"/books?page={last_100 + 1}&per_page=100", last_100 + 1, 100),  # past the end
        ("/books?page=99999999", 99999999, 20),
    ]
    for url, page, per_page in cases:
        support.assert_matches(page_body(http, url), support.books_page(page, per_page), f"GET {url}")
    past = page_body(http, f"/books?page={last_20 + 1}")
    assert past["items"] == [] and past["total"] == total, "a page past the end must give items [] with the real total"


def test_books_without_reviews_are_listed(http):
    book_id = support.scalar("SELECT min(id) FROM books b WHERE NOT EXISTS (SELECT 1 FROM reviews r WHERE r.book_id = b.id)")
    page = support.book_page_of(book_id)
    body = page_body(http, f"/books?page={page}")
    listed = {item.get("id"): item for item in body["items"] if isinstance(item, dict)}
    assert book_id in listed, f"book {book_id} has no reviews and must still be listed on page {page}"
    assert listed[book_id].get("review_count") == 0 and listed[book_id].get("average_rating") is None, (
        f"a book without reviews has review_count 0 and average_rating null, got {listed[book_id]}"
    )
    support.assert_matches(body, support.books_page(page), f"GET /books?page={page}")


def test_filters(http):
    prolific = support.scalar("SELECT author_id FROM books GROUP BY author_id ORDER BY count(*) DESC, author_id LIMIT 1")
    bookless = support.scalar("SELECT min(id) FROM authors a WHERE NOT EXISTS (SELECT 1 FROM books b WHERE b.author_id = a.id)")
    genre = support.scalar(
        "SELECT genre FROM books WHERE author_id = %s GROUP BY genre ORDER BY count(*) DESC, genre LIMIT 1", (prolific,)
    )
    fantasy_last = -(-support.books_page(1, 1, genre="fantasy")["total"] // 20)
    cases = [
        ("/books?genre=fantasy", {"genre": "fantasy"}, 1, 20),
        (f"/books?genre=fantasy&page={fantasy_last}", {"genre": "fantasy"}, fantasy_last, 20),
        ("/books?genre=science&per_page=100&page=2", {"genre": "science"}, 2, 100),
        ("/books?genre=Fantasy", {"genre": "Fantasy"}, 1, 20),  # exact, case-sensitive
        ("/books?genre=no-such-genre", {"genre": "no-such-genre"}, 1, 20),
        ("/books?genre=", {}, 1, 20),  # empty means no filter
        (f"/books?author_id={prolific}&per_page=100", {"author_id": prolific}, 1, 100),
        (f"/books?author_id={prolific}&page=2&per_page=50", {"author_id": prolific}, 2, 50),
        (f"/books?author_id={bookless}", {"author_id": bookless}, 1, 20),
        ("/books?author_id=", {}, 1, 20),
        ("/books?author_id=99999999999", {"author_id": 99999999999}, 1, 20),
        (f"/books?author_id={prolific}&genre={genre}", {"author_id": prolific, "genre": genre}, 1, 20),
        (f"/books?author_id={prolific}&genre=no-such-genre", {"author_id": prolific, "genre": "no-such-genre"}, 1, 20),
    ]
    for url, filters, page, per_page in cases:
        expected = support.books_page(page, per_page, **filters)
        support.assert_matches(page_body(http, url), expected, f"GET {url}")


@pytest.mark.parametrize("param", ["page", "per_page", "author_id"])
def test_bad_integer_parameters(http, param):
    for value in ("0", "-1", "x", "1.5"):
        support.assert_error(http.get("/books", params={param: value}), 422, "validation_error")


def test_fresh_after_patch(http):
    book_id = support.slot_book(support.SLOT_BOOKS_LIST)
    url = f"/books?page={support.book_page_of(book_id)}"
    page_body(http, url)
    support.warm(http, url)
    change = support.new_title_and_price()
    support.patch_book(http, book_id, **change)
    expected = support.books_page(support.book_page_of(book_id))
    assert any(i["id"] == book_id and i["title"] == change["title"] for i in expected["items"]), "oracle does not see the PATCH"
    support.assert_fresh(http, url, expected, f"GET {url} after PATCH /books/{book_id}")


def test_fresh_after_review(http):
    book_id = support.slot_book(support.SLOT_BOOKS_LIST, f"{support.review_count_sql()} BETWEEN 1 AND 20", nth=1)
    url = f"/books?page={support.book_page_of(book_id, 100)}&per_page=100"
    page_body(http, url)
    support.warm(http, url)
    support.post_review(http, book_id, rating=1)
    expected = support.books_page(support.book_page_of(book_id, 100), 100)
    support.assert_fresh(http, url, expected, f"GET {url} after POST /reviews on book {book_id}")
