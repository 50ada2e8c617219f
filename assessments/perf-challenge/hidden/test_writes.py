"""correct-writes: POST /reviews and PATCH /books/{id} answers, validation order and rules."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import support

pytestmark = pytest.mark.check("correct-writes")

CLOCK_SLACK_S = 120  # app and tester clocks are the same host's, but allow for slow answers


def writes_book(nth: int) -> int:
    return support.slot_book(support.SLOT_WRITES, nth=nth)


def test_post_review_created(http):
    book_id = writes_book(0)
    before = datetime.now(timezone.utc)
    body = {"book_id": book_id, "rating": 4, "body": support.unique_text("Grader review"), "ignored": ["extra"]}
    response = http.post("/reviews", json=body)
    assert response.status_code == 201, f"POST /reviews answered {response.status_code}: {response.text[:300]}"
    created = response.json()
    stored = support.rows("SELECT id, book_id, rating, body, created_at FROM reviews WHERE id = %s", (created.get("id"),))
    assert stored, f"the answer's id {created.get('id')!r} names no stored review"
    review_id, stored_book, rating, text, created_at = stored[0]
    expected = {"id": review_id, "book_id": book_id, "rating": 4, "body": body["body"], "created_at": created_at}
    support.assert_matches(created, expected, "POST /reviews answer")
    assert (stored_book, rating, text) == (book_id, 4, body["body"]), f"stored review differs: {stored[0]}"
    drift = abs((support.parse_instant(created["created_at"]) - before).total_seconds())
    assert drift <= CLOCK_SLACK_S, (
        f"created_at {created['created_at']} is not the server's current time (now {before.isoformat()})"
    )


def test_post_review_edges_accepted(http):
    book_id = writes_book(1)
    for rating, text in ((1, "x"), (5, "y" * 5000), (3, "  padded  ")):
        created = support.post_review(http, book_id, rating=rating, body=text)
        assert created.get("rating") == rating and created.get("body") == text, f"review stored not as given: {created}"


def _invalid_reviews(book_id: int) -> list:
    good = {"book_id": book_id, "rating": 3, "body": "fine"}
    return [
        [good],
        "just a string",
        None,
        {},
        {**good, "rating": True},
        {**good, "rating": 3.0},
        {**good, "rating": 4.5},
        {**good, "rating": "3"},
        {**good, "rating": 0},
        {**good, "rating": 6},
        {**good, "rating": None},
        {k: v for k, v in good.items() if k != "rating"},
        {**good, "body": ""},
        {**good, "body": "   \n\t "},
        {**good, "body": "z" * 5001},
        {**good, "body": 42},
        {k: v for k, v in good.items() if k != "body"},
        {**good, "book_id": 0},
        {**good, "book_id": -3},
        {**good, "book_id": "1"},
        {**good, "book_id": True},
        {**good, "book_id": 1.0},
        {k: v for k, v in good.items() if k != "book_id"},
        {**good, "book_id": support.missing_book_id(), "rating": 9},  # validation before the 404
    ]


def test_post_review_validation(http):
    book_id = writes_book(2)
    before = support.scalar("SELECT count(*) FROM reviews WHERE book_id = %s", (book_id,))
    for payload in _invalid_reviews(book_id):
        support.assert_error(http.post("/reviews", json=payload), 422, "validation_error")
    for raw in (b"{not json", b""):
        response = http.post("/reviews", content=raw, headers={"Content-Type": "application/json"})
        support.assert_error(response, 422, "validation_error")
    after = support.scalar("SELECT count(*) FROM reviews WHERE book_id = %s", (book_id,))
    assert after == before, "a rejected review was stored"


def test_post_review_unknown_book(http):
    for book_id in (support.missing_book_id(), 2**31):
        response = http.post("/reviews", json={"book_id": book_id, "rating": 3, "body": "fine"})
        support.assert_error(response, 404, "not_found")


def test_patch_book(http):
    book_id = writes_book(3)
    genre_before = support.book_item(book_id)["genre"]
    change = support.new_title_and_price()
    body = support.patch_book(http, book_id, **change, genre="hacked", isbn="0000000000000", id=1)
    expected = support.book_item(book_id)
    assert (expected["title"], expected["price_cents"], expected["genre"]) == (
        change["title"],
        change["price_cents"],
        genre_before,
    ), "PATCH stored other values than given, or changed a field other than title/price_cents"
    support.assert_matches(body, expected, f"PATCH /books/{book_id} answer")

    for fields in ({"title": "  Spaced Title  "}, {"price_cents": 0}, {"price_cents": 2_147_483_647}, {"title": "T" * 300}):
        body = support.patch_book(http, book_id, **fields)
        expected = support.book_item(book_id)
        for key, value in fields.items():
            assert expected[key] == value, f"PATCH {fields} was not stored as given (database has {expected[key]!r})"
        support.assert_matches(body, expected, f"PATCH /books/{book_id} {list(fields)} answer")


def test_patch_book_validation(http):
    book_id = writes_book(4)
    before = support.book_item(book_id)
    invalid = [
        {},
        {"genre": "fantasy"},
        {"title": ""},
        {"title": "   "},
        {"title": "T" * 301},
        {"title": 123},
        {"title": None},
        {"price_cents": -1},
        {"price_cents": 12.5},
        {"price_cents": 100.0},
        {"price_cents": True},
        {"price_cents": "100"},
        {"price_cents": 2_147_483_648},
        {"title": "Valid title", "price_cents": -5},  # nothing is stored when any field is invalid
        [{"title": "x"}],
        "title",
    ]
    for payload in invalid:
        support.assert_error(http.patch(f"/books/{book_id}", json=payload), 422, "validation_error")
    response = http.patch(f"/books/{book_id}", content=b"{oops", headers={"Content-Type": "application/json"})
    support.assert_error(response, 422, "validation_error")
    support.assert_matches(support.book_item(book_id), before, "the book after rejected PATCHes")


@pytest.mark.parametrize("book_id", ["0", "missing", "99999999999"])
def test_patch_unknown_book_is_404_before_validation(http, book_id):
    if book_id == "missing":
        book_id = str(support.missing_book_id())
    for payload in ({"title": "fine"}, {}, {"price_cents": -1}):
        support.assert_error(http.patch(f"/books/{book_id}", json=payload), 404, "not_found")
