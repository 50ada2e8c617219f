"""Were the answers the measure script timed the right ones?  Checked against the suite's oracle.

Speed counts only for correct answers, and an app could recognise the measuring traffic
and answer it from a canned body.  So every statement-count probe and a seeded sample
of the answers under load keep their bodies (up to a cap), and after the load window
(so the checking costs the app no time) each is compared with what the oracle
(support.py) computes from the database the app serves, with the suite's own comparison
(``support.differences``).  The load runs before anything writes, so the database the
oracle reads is the one the app answered from.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import support

MAX_PER_PAGE = 100
MAX_LIMIT = 50


class Unchecked(Exception):
    """The path is not one the oracle knows, or the oracle could not answer."""


def _int(query: dict[str, list[str]], name: str, default: int, maximum: int | None = None) -> int:
    raw = (query.get(name) or [""])[0]
    if raw == "":
        return default
    value = int(raw)
    return min(value, maximum) if maximum else value


def expected_for(path: str) -> tuple[Any, str]:
    """The oracle's answer to a GET of ``path`` (2xx ones only) and what the answer is called."""
    parts = urlsplit(path)
    query = parse_qs(parts.query, keep_blank_values=True)
    segments = [s for s in parts.path.split("/") if s]
    if segments == ["books"]:
        author_id = (query.get("author_id") or [""])[0]
        return support.books_page(_int(query, "page", 1), _int(query, "per_page", 20, MAX_PER_PAGE),
                                  genre=(query.get("genre") or [""])[0] or None,
                                  author_id=int(author_id) if author_id else None), "books-list"
    if len(segments) == 2 and segments[0] == "books" and segments[1].isdigit():
        return support.book_detail(int(segments[1])), "book-detail"
    if len(segments) == 2 and segments[0] == "authors" and segments[1].isdigit():
        return support.author(int(segments[1])), "author"
    if segments == ["orders"]:
        return support.orders_page((query.get("customer_email") or [""])[0], _int(query, "page", 1),
                                   _int(query, "per_page", 20, MAX_PER_PAGE)), "orders"
    if segments == ["reports", "top-books"]:
        return support.top_books(_int(query, "limit", 10, MAX_LIMIT)), "top-books"
    raise Unchecked(f"no oracle for GET {path}")


def problems(path: str, body: bytes | None, truncated: bool = False) -> list[str]:
    """Where a 2xx answer's body departs from the oracle ([] when it matches).

    Raises Unchecked when the oracle has no answer to compare with.
    """
    if truncated:
        return [f"the answer is larger than the {len(body or b'') // 1024} KiB kept for checking"]
    try:
        actual = json.loads(body or b"")
    except (ValueError, RecursionError):
        return [f"not JSON: {support._cap(body, 120)}"]
    try:
        expected, _ = expected_for(path)
    except Unchecked:
        raise
    except Exception as exc:  # the oracle's own failure is not the app's wrong answer
        raise Unchecked(f"the oracle failed: {type(exc).__name__}: {exc}") from exc
    if expected is None:
        return ["answered 2xx for a row that does not exist"]
    found = support.differences(actual, expected)
    if not found and isinstance(actual, dict) and "isbn" in expected and "reviews" in expected:
        # /books/{id}: stock is the stock service's figure, or null when it did not answer within 1 s.
        stock, want = actual.get("stock", "missing"), support.in_stock_for(expected["isbn"])
        if not (stock is None or (type(stock) is int and stock == want)):
            found.append(f"$.stock: {support._short(stock)}, expected {want} or null")
    return found


def check_all(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """Compare samples ({path, body, truncated}) with the oracle, each distinct (path, body) once.

    Returns {"checked", "wrong", "unchecked", "examples": [{"path", "differences", "body"}]}.
    """
    summary: dict[str, Any] = {"checked": 0, "wrong": 0, "unchecked": 0, "examples": [], "unchecked_reasons": []}
    verdicts: dict[tuple[str, bytes], list[str] | None] = {}
    for sample in samples:
        key = (sample["path"], sample.get("body") or b"")
        if key not in verdicts:
            try:
                verdicts[key] = problems(sample["path"], sample.get("body"), bool(sample.get("truncated")))
            except Unchecked as exc:
                verdicts[key] = None
                if len(summary["unchecked_reasons"]) < 3:
                    summary["unchecked_reasons"].append(str(exc)[:300])
        found = verdicts[key]
        if found is None:
            summary["unchecked"] += 1
            continue
        summary["checked"] += 1
        if found:
            summary["wrong"] += 1
            if len(summary["examples"]) < 3:
                summary["examples"].append({"path": sample["path"], "differences": found[:5],
                                            "body": support._cap(sample.get("body"), 300)})
    return summary
