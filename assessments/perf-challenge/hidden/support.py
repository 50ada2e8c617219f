"""Helpers for the perf-challenge hidden suite: a recording client, stock control and the oracle.

The candidate may restructure everything inside the app, so the suite judges only
what the contract (brief.md) fixes. Expected answers come from the **oracle**: plain
SQL on the candidate's own database, read at call time, so the suite's own writes
are accounted for and nothing depends on the seed staying untouched.

Books that tests write to are chosen from disjoint id **slots** (1,000 ids each), so
a write in one test never changes what another test expects, and the stock tests
read books nobody else reads (a per-process cache of ``/books/{id}`` is then not
mistaken for a stock-handling bug).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import secrets
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from decimal import Decimal

import httpx
import psycopg
from client import CapExceeded, CappedClient, Caps, timeout_seconds
from stock_service import in_stock_for  # one definition, shared with the service

__all__ = ["in_stock_for"]

INT32_MAX = 2**31 - 1
RFC3339_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")
FRESH_REPEATS = 6  # consecutive reads after a write, on fresh connections (both workers)
WARM_READS = 6  # reads before a write, 4 at a time, so any per-process cache is populated

# Disjoint book-id ranges per writing test (see the module docstring).
SLOT_BOOKS_LIST = 1
SLOT_BOOK_DETAIL = 2
SLOT_AUTHOR = 3
SLOT_WRITES = 4
SLOT_DETAIL_SAMPLES = 6
SLOT_STOCK_TIMEOUT = 15
SLOT_STOCK_ERRORS = 16

# ----------------------------------------------------------------------------------------
# Recording HTTP client
# ----------------------------------------------------------------------------------------

TEST_EXCHANGES: deque[dict] = deque(maxlen=30)  # the current test's latest exchanges (reset per test)
_BODY_CAP = 2000


def _cap(content: bytes | str | None, cap: int = _BODY_CAP) -> str:
    if content is None:
        return ""
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
    return text if len(text) <= cap else text[:cap] + f"… ({len(text)} chars)"


# Every exchange with the app ends by this deadline (SUITE_BUDGET_S from the suite's start, below
# the tester's own time limit): against an app that hangs, the remaining tests fail fast, with the
# reason, and the report is still written.
SUITE_DEADLINE = time.monotonic() + float(os.environ.get("SUITE_BUDGET_S", "380"))
EXCHANGE_CAPS = Caps(total_s=45.0)


class Recorder(CappedClient):
    """The tester's capped client (client.py) keeping the latest exchanges, the evidence attached to a failed test."""

    def request(self, method, url, **kwargs):  # type: ignore[override]
        began = time.monotonic()
        sent = kwargs.get("json", kwargs.get("content"))
        entry = {"method": method, "url": str(url)}
        if sent is not None:
            entry["request"] = _cap(json.dumps(sent) if not isinstance(sent, (str, bytes)) else sent, 300)
        left = SUITE_DEADLINE - began
        asked = timeout_seconds(kwargs.pop("timeout", None))
        try:
            if left <= 0:
                raise CapExceeded("not sent: the suite's time budget for the app's answers is spent "
                                  "(earlier requests waited for answers that came late or never)")
            response = super().request(method, url, timeout=min(left, asked or EXCHANGE_CAPS.total_s), **kwargs)
        except httpx.HTTPError as exc:
            entry.update(error=f"{type(exc).__name__}: {exc}", ms=round((time.monotonic() - began) * 1000, 1))
            TEST_EXCHANGES.append(entry)
            raise
        entry.update(
            status=response.status_code,
            ms=round((time.monotonic() - began) * 1000, 1),
            response=_cap(response.content),
        )
        TEST_EXCHANGES.append(entry)
        return response


def transcript(last: int = 12) -> list[dict]:
    return list(TEST_EXCHANGES)[-last:]


def app_client() -> Recorder:
    return Recorder(os.environ["APP_URL"], EXCHANGE_CAPS)


# A request header that makes each request open its own connection: gunicorn keeps a
# kept-alive connection on one worker, and freshness must hold on both.
FRESH_CONNECTION = {"Connection": "close"}


def get_json(http: Recorder, url: str, *, status: int = 200, fresh: bool = False, **kwargs):
    response = http.get(url, headers=FRESH_CONNECTION if fresh else None, **kwargs)
    assert response.status_code == status, f"GET {url} answered {response.status_code}, expected {status}: {response.text[:300]}"
    try:
        return response.json()
    except ValueError:
        raise AssertionError(f"GET {url} did not answer JSON: {response.text[:300]}") from None


def warm(http: Recorder, url: str, reads: int = WARM_READS) -> None:
    """Read url several times, in parallel and on fresh connections, so both workers cache it if they cache."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda _: http.get(url, headers=FRESH_CONNECTION), range(reads)))


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, (
        f"{response.request.method} {response.request.url} answered {response.status_code}, expected {status}: {response.text[:300]}"
    )
    try:
        body = response.json()
    except ValueError:
        raise AssertionError(f"error answer is not JSON: {response.text[:300]}") from None
    error = body.get("error") if isinstance(body, dict) else None
    assert isinstance(error, dict), f"not the error shape {{'error': {{'code', 'message'}}}}: {body}"
    assert error.get("code") == code, f"error code {error.get('code')!r}, expected {code!r}"
    assert isinstance(error.get("message"), str), f"error message is not a string: {error.get('message')!r}"


# ----------------------------------------------------------------------------------------
# Comparison with the oracle
# ----------------------------------------------------------------------------------------


def parse_instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def differences(actual, expected, path: str = "$", out: list[str] | None = None) -> list[str]:
    """Where actual departs from the oracle's expected JSON, as readable lines.

    The contract's leniencies: key order and extra keys are free; ``created_at`` is
    compared as an instant (but must be RFC 3339 with Z); ``average_rating`` may differ
    from the 2-decimal value only by float noise (1e-6), which still tells 4.12 from 4.13.
    Integers must be JSON integers (not booleans, not floats, not strings).
    """
    out = [] if out is None else out
    if len(out) >= 10:
        return out
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            out.append(f"{path}: expected an object, got {_short(actual)}")
            return out
        for key, value in expected.items():
            if key not in actual:
                out.append(f"{path}: missing key {key!r}")
            else:
                differences(actual[key], value, f"{path}.{key}", out)
    elif isinstance(expected, list):
        if not isinstance(actual, list):
            out.append(f"{path}: expected an array, got {_short(actual)}")
        elif len(actual) != len(expected):
            got = [a.get("id") if isinstance(a, dict) else a for a in actual][:30]
            want = [e.get("id") if isinstance(e, dict) else e for e in expected][:30]
            out.append(f"{path}: {len(actual)} entries, expected {len(expected)} (ids {got} vs expected {want})")
        else:
            for index, (a, e) in enumerate(zip(actual, expected, strict=True)):
                differences(a, e, f"{path}[{index}]", out)
    elif isinstance(expected, datetime):
        if not isinstance(actual, str) or not RFC3339_Z.match(actual):
            out.append(f"{path}: {_short(actual)} is not an RFC 3339 UTC timestamp with Z")
        elif parse_instant(actual) != expected:
            out.append(f"{path}: {actual} is not the instant {expected.isoformat()}")
    elif isinstance(expected, float):
        if isinstance(actual, bool) or not isinstance(actual, (int, float)) or abs(actual - expected) > 1e-6:
            out.append(f"{path}: {_short(actual)}, expected {expected}")
    elif expected is None:
        if actual is not None:
            out.append(f"{path}: {_short(actual)}, expected null")
    elif isinstance(expected, str):
        if not isinstance(actual, str) or actual != expected:
            out.append(f"{path}: {_short(actual)}, expected {_short(expected)}")
    elif isinstance(expected, int):
        if type(actual) is not int or actual != expected:
            out.append(f"{path}: {_short(actual)}, expected {expected}")
    else:  # pragma: no cover - the oracle only builds the types above
        raise TypeError(f"unexpected oracle value at {path}: {expected!r}")
    return out


def _short(value) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 120 else text[:120] + "…"


def assert_matches(actual, expected, what: str) -> None:
    found = differences(actual, expected)
    assert not found, f"{what} differs from the database:\n  " + "\n  ".join(found)


# ----------------------------------------------------------------------------------------
# Stock service control
# ----------------------------------------------------------------------------------------


class Stock:
    """Steers the fake stock service (stock_service.py) through its token-protected control endpoint."""

    def __init__(self) -> None:
        self.http = httpx.Client(
            base_url=os.environ["STOCK_URL"].rstrip("/"),
            headers={"X-Control-Token": os.environ["STOCK_CONTROL_TOKEN"]},
            timeout=10.0,
        )

    def state(self) -> dict:
        response = self.http.get("/_control")
        response.raise_for_status()
        return response.json()

    def set_mode(self, mode: str, delay_s: float | None = None) -> dict:
        body: dict = {"mode": mode}
        if delay_s is not None:
            body["delay_s"] = delay_s
        response = self.http.post("/_control", json=body)
        response.raise_for_status()
        return response.json()

    def calls(self) -> int:
        return int(self.state()["calls"])

    @contextlib.contextmanager
    def mode(self, mode: str):
        """Run the block with the service in ``mode``; ``ok`` is restored even when the block fails."""
        self.set_mode(mode)
        try:
            yield self
        finally:
            self.set_mode("ok")


_STOCK: Stock | None = None


def stock() -> Stock:
    global _STOCK
    if _STOCK is None:
        _STOCK = Stock()
    return _STOCK


def stock_mode(mode: str):
    return stock().mode(mode)


# ----------------------------------------------------------------------------------------
# Oracle: the expected JSON, straight from the database
# ----------------------------------------------------------------------------------------

_DB_LOCK = threading.Lock()
_DB: psycopg.Connection | None = None
_DSN: str | None = None  # DB_DSN unless use_database() names another (the measure script's oracle)

# The grader's sessions run as a superuser on a database the app writes to.  They never resolve a
# name in a schema named after the role ("$user"), or anywhere the app could have planted it: the
# oracle looks in pg_catalog first, then public (its tests name tables unqualified; the app's role
# may create only indexes there, database/build-db.sh); the measure script and the integrity check
# look in pg_catalog only and qualify everything else.  None of them can write (no trigger or rule
# could fire as the superuser).
GRADER_SESSION = "-c search_path=pg_catalog,public,pg_temp -c default_transaction_read_only=on"
STRICT_SESSION = "-c search_path=pg_catalog,pg_temp -c default_transaction_read_only=on"


def connect(dsn: str, *, strict: bool = False, **kwargs) -> psycopg.Connection:
    """A grader session on a candidate-writable database (see GRADER_SESSION)."""
    return psycopg.connect(dsn, autocommit=True, options=STRICT_SESSION if strict else GRADER_SESSION, **kwargs)


def use_database(dsn: str) -> None:
    """Point the oracle at another database (the one the measured app serves from)."""
    global _DB, _DSN
    with _DB_LOCK:
        if _DB is not None:
            _DB.close()
        _DB, _DSN = None, dsn


def db() -> psycopg.Connection:
    """One autocommit connection: every oracle query sees every write committed before it."""
    global _DB
    if _DB is None or _DB.closed:
        _DB = connect(_DSN or os.environ["DB_DSN"], connect_timeout=10)
    return _DB


def rows(sql: str, params: tuple | dict = ()) -> list[tuple]:
    with _DB_LOCK:
        return db().execute(sql, params).fetchall()


def scalar(sql: str, params: tuple | dict = ()):
    result = rows(sql, params)
    return result[0][0] if result else None


def _avg(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


# Exact mean rounded half up: avg() of integers is an exact-enough numeric and round()
# on numeric rounds half away from zero (ratings are positive, so that is half up).
_BOOK_ITEMS = """
WITH page AS ({page})
SELECT p.id, p.title, p.genre, p.published_year, p.price_cents, p.isbn, a.id, a.name,
       coalesce(s.n, 0), s.av
FROM page p
JOIN public.authors a ON a.id = p.author_id
LEFT JOIN (
    SELECT book_id, count(*) AS n, round(avg(rating)::numeric, 2) AS av
    FROM public.reviews WHERE book_id IN (SELECT id FROM page) GROUP BY book_id
) s ON s.book_id = p.id
ORDER BY p.id
"""


def _book_item(row: tuple) -> dict:
    book_id, title, genre, year, price, isbn, author_id, author_name, count, av = row
    return {
        "id": book_id,
        "title": title,
        "genre": genre,
        "published_year": year,
        "price_cents": price,
        "isbn": isbn,
        "author": {"id": author_id, "name": author_name},
        "review_count": count,
        "average_rating": _avg(av),
    }


def _book_filters(genre: str | None, author_id: int | None) -> tuple[str, dict]:
    clauses, params = ["true"], {}
    if genre:
        clauses.append("genre = %(genre)s")
        params["genre"] = genre
    if author_id is not None:
        clauses.append("author_id = %(author_id)s")
        params["author_id"] = author_id
    return " AND ".join(clauses), params


def books_page(page: int = 1, per_page: int = 20, genre: str | None = None, author_id: int | None = None) -> dict:
    """GET /books with already-clamped page and per_page."""
    where, params = _book_filters(genre, author_id)
    total = scalar(f"SELECT count(*) FROM public.books WHERE {where}", params)
    page_sql = f"SELECT * FROM public.books WHERE {where} ORDER BY id LIMIT %(limit)s OFFSET %(offset)s"
    found = rows(_BOOK_ITEMS.format(page=page_sql), {**params, "limit": per_page, "offset": (page - 1) * per_page})
    return {"items": [_book_item(r) for r in found], "page": page, "per_page": per_page, "total": total}


def book_item(book_id: int) -> dict | None:
    found = rows(_BOOK_ITEMS.format(page="SELECT * FROM public.books WHERE id = %(id)s"), {"id": book_id})
    return _book_item(found[0]) if found else None


def book_detail(book_id: int) -> dict | None:
    """GET /books/{id} without ``stock`` (that comes from the stock service, see in_stock_for)."""
    item = book_item(book_id)
    if item is None:
        return None
    newest = rows(
        "SELECT id, rating, body, created_at FROM public.reviews WHERE book_id = %s ORDER BY created_at DESC, id DESC LIMIT 10",
        (book_id,),
    )
    item["reviews"] = [{"id": i, "rating": r, "body": b, "created_at": c} for i, r, b, c in newest]
    return item


def book_page_of(book_id: int, per_page: int = 20) -> int:
    """The /books page (no filter) that lists book_id."""
    position = scalar("SELECT count(*) FROM public.books WHERE id <= %s", (book_id,))
    return (position - 1) // per_page + 1


def author(author_id: int) -> dict | None:
    found = rows("SELECT id, name, country FROM public.authors WHERE id = %s", (author_id,))
    if not found:
        return None
    books = rows(
        """
        SELECT b.id, b.title, count(r.id), round(avg(r.rating)::numeric, 2)
        FROM public.books b LEFT JOIN public.reviews r ON r.book_id = b.id
        WHERE b.author_id = %s GROUP BY b.id ORDER BY b.id
        """,
        (author_id,),
    )
    aid, name, country = found[0]
    return {
        "id": aid,
        "name": name,
        "country": country,
        "books": [{"id": i, "title": t, "review_count": n, "average_rating": _avg(av)} for i, t, n, av in books],
    }


def orders_page(email: str, page: int = 1, per_page: int = 20) -> dict:
    total = scalar("SELECT count(*) FROM public.orders WHERE customer_email = %s", (email,))
    found = rows(
        """
        SELECT id, book_id, quantity, customer_email, created_at FROM public.orders WHERE customer_email = %s
        ORDER BY created_at DESC, id DESC LIMIT %s OFFSET %s
        """,
        (email, per_page, (page - 1) * per_page),
    )
    items = [{"id": i, "book_id": b, "quantity": q, "customer_email": e, "created_at": c} for i, b, q, e, c in found]
    return {"items": items, "page": page, "per_page": per_page, "total": total}


def top_books(limit: int = 10) -> list[dict]:
    """Ranked by the exact mean (a numeric quotient, not a float), then review_count desc, id asc."""
    found = rows(
        """
        SELECT b.id, b.title, round(avg(r.rating)::numeric, 2), count(*)
        FROM public.reviews r JOIN public.books b ON b.id = r.book_id
        GROUP BY b.id HAVING count(*) >= 5
        ORDER BY sum(r.rating)::numeric / count(*) DESC, count(*) DESC, b.id
        LIMIT %s
        """,
        (limit,),
    )
    return [{"id": i, "title": t, "average_rating": _avg(av), "review_count": n} for i, t, av, n in found]


# ----------------------------------------------------------------------------------------
# Choosing test data deterministically
# ----------------------------------------------------------------------------------------


def slot_book(slot: int, condition: str = "true", params: tuple = (), nth: int = 0) -> int:
    """The nth book (by id) of a test's slot that satisfies an SQL condition on ``b`` (books)."""
    found = scalar(
        f"""
        SELECT b.id FROM public.books b
        WHERE b.id BETWEEN %s AND %s AND ({condition})
        ORDER BY b.id OFFSET %s LIMIT 1
        """,
        (slot * 1000, slot * 1000 + 999, *params, nth),
    )
    assert found is not None, f"no book in slot {slot} with {condition}"
    return found


def review_count_sql() -> str:
    return "(SELECT count(*) FROM public.reviews r WHERE r.book_id = b.id)"


def slot_sample(slot: int, count: int, seed: int) -> list[int]:
    """A fixed pseudo-random sample of existing book ids in a slot."""
    ids = [r[0] for r in rows("SELECT id FROM public.books WHERE id BETWEEN %s AND %s ORDER BY id", (slot * 1000, slot * 1000 + 999))]
    return random.Random(seed).sample(ids, min(count, len(ids)))


def missing_book_id() -> int:
    return scalar("SELECT coalesce(max(id), 0) + 100000 FROM public.books")


def unique_text(prefix: str) -> str:
    return f"{prefix} {secrets.token_hex(4)}"


def book_with_tie_at_cut(slot: int) -> int:
    """A book of the slot whose 10th and 11th newest reviews share created_at: only "ties by id desc" picks the right 10."""
    found = scalar(
        """
        WITH r AS (
            SELECT book_id, created_at,
                   row_number() OVER (PARTITION BY book_id ORDER BY created_at DESC, id DESC) AS rn
            FROM public.reviews WHERE book_id BETWEEN %s AND %s
        )
        SELECT a.book_id FROM r a JOIN r b ON b.book_id = a.book_id AND b.rn = 11 AND b.created_at = a.created_at
        WHERE a.rn = 10 ORDER BY a.book_id LIMIT 1
        """,
        (slot * 1000, slot * 1000 + 999),
    )
    assert found is not None, f"no book in slot {slot} with a created_at tie across the 10th/11th review"
    return found


# ----------------------------------------------------------------------------------------
# Contract-level writes
# ----------------------------------------------------------------------------------------


def post_review(http: Recorder, book_id: int, rating: int = 5, body: str | None = None) -> dict:
    response = http.post("/reviews", json={"book_id": book_id, "rating": rating, "body": body or unique_text("Grader review")})
    assert response.status_code == 201, f"POST /reviews answered {response.status_code}: {response.text[:300]}"
    return response.json()


def patch_book(http: Recorder, book_id: int, **fields) -> dict:
    response = http.patch(f"/books/{book_id}", json=fields)
    assert response.status_code == 200, f"PATCH /books/{book_id} answered {response.status_code}: {response.text[:300]}"
    return response.json()


def new_title_and_price() -> dict:
    return {"title": unique_text("Grader Title"), "price_cents": random.randint(100, 99_999)}


def assert_fresh(http: Recorder, url: str, expected, what: str, ignore: tuple[str, ...] = ()) -> None:
    """FRESH_REPEATS consecutive reads on fresh connections must all equal the post-write oracle.

    ``ignore`` drops top-level keys that are not about freshness (``stock`` comes from
    another service with its own timing).
    """
    for attempt in range(1, FRESH_REPEATS + 1):
        body = get_json(http, url, fresh=True)
        if ignore and isinstance(body, dict):
            body = {k: v for k, v in body.items() if k not in ignore}
        found = differences(body, expected)
        assert not found, (
            f"{what}: read {attempt} of {FRESH_REPEATS} after the write still differs from the database "
            f"(stale data?):\n  " + "\n  ".join(found)
        )
