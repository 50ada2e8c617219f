#!/usr/bin/env python3
"""Deterministic seed data for the perf-challenge database (standard library only).

    python seed.py --scale 1.0 | psql -v ON_ERROR_STOP=1 -q "$DATABASE_URL"

Prints one transaction of COPY statements for an empty database created from
schema.sql. The output depends only on --scale and --seed (default 1234) and is the
same byte for byte on every run. At scale 1: 2,000 authors, 20,000 books,
150,000 reviews and 100,000 orders; --scale multiplies every count.

Shapes the checks rely on: ~3% of authors have no books, ~13% of books have no
reviews, many books have 5+ reviews and some share a 5.0 average, ~5% of reviews and
~10% of orders share their created_at with the previous row of the same book or
customer (exercises the "ties by id desc" rules), and a few customers have hundreds of
orders (several pages).
"""

import argparse
import sys
from datetime import datetime, timedelta, timezone
from itertools import accumulate
from random import Random

BASE_COUNTS = {"authors": 2000, "books": 20000, "reviews": 150000, "orders": 100000}
EPOCH = datetime(2023, 1, 1, tzinfo=timezone.utc)
SPAN_SECONDS = 2 * 365 * 86400

FIRST = ("Ada Alan Alice Amara Ana Ben Carla Chen Dara Dmitri Elena Emil Farah Grace Hana "
         "Hugo Ines Ivan Jonas Julia Kai Kenji Lara Leo Lina Luca Maya Mateo Nadia Noah "
         "Olga Omar Priya Rafael Rosa Sami Sara Tomas Uma Yara Zoe").split()
LAST = ("Abbott Baker Costa Dubois Eriksen Fischer Garcia Haddad Ito Jensen Kowalski Larsen "
        "Moreau Nakamura Novak Okafor Petrov Quinn Rossi Silva Tanaka Ueda Varga Weber "
        "Xu Yilmaz Zhang Moreno Lindqvist Horvat").split()
COUNTRIES = ("AR AU BR CA CN DE EG ES FR GB IE IN IT JP KE MX NG NL NO PL PT SE TR US ZA").split()
GENRES = ("biography children classics fantasy history horror mystery poetry romance "
          "science science-fiction thriller travel").split()
ADJ = ("Silent Broken Hidden Golden Last Lost Burning Quiet Distant Frozen Crimson Hollow "
       "Endless Forgotten Wandering Secret Bright Dark Wild Gentle").split()
NOUN = ("River Garden Empire Shadow Island Winter Harbor Letter Mountain Machine Archive "
        "Orchard Station Lantern Kingdom Forest Voyage Mirror Bridge Storm").split()
WORDS = ("a an the and but or so plot pacing prose characters ending chapter story writing "
         "slow fast brilliant dull moving clever predictable original loved hated enjoyed "
         "recommend again reread gift book author voice world dialogue twist heart "
         "funny sad dark light long short dense simple beautiful boring gripping").split()


def isbn13(book_id: int) -> str:
    """A unique, valid ISBN-13 per id (7919 is coprime with 10**9, so this is a bijection)."""
    digits = f"978{(book_id * 7919 + 12345) % 10**9:09d}"
    check = (10 - sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10) % 10
    return digits + str(check)


def timestamp(seconds: int) -> str:
    return (EPOCH + timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M:%S+00")


def skewed_choices(rng: Random, population: list, k: int, cap: float) -> list:
    """k draws from population with a heavy-tailed (capped Pareto) popularity."""
    weights = [min(rng.paretovariate(1.2), cap) for _ in population]
    return rng.choices(population, cum_weights=list(accumulate(weights)), k=k)


def copy_block(out: list, table: str, columns: str, rows) -> None:
    out.append(f"COPY {table} ({columns}) FROM stdin;")
    out.extend("\t".join(map(str, row)) for row in rows)
    out.append("\\.")


def generate(scale: float, seed: int) -> str:
    rng = Random(seed)
    n = {name: max(1, round(count * scale)) for name, count in BASE_COUNTS.items()}
    out = ["BEGIN;"]

    authors = [(i, f"{rng.choice(FIRST)} {rng.choice(LAST)}", rng.choice(COUNTRIES))
               for i in range(1, n["authors"] + 1)]
    copy_block(out, "authors", "id, name, country", authors)

    author_ids = [a[0] for a in authors]
    publishing = sorted(rng.sample(author_ids, max(1, round(len(author_ids) * 0.98))))
    book_authors = skewed_choices(rng, publishing, n["books"], cap=40.0)
    books = []
    for i, author_id in enumerate(book_authors, start=1):
        title = f"The {rng.choice(ADJ)} {rng.choice(NOUN)}"
        if rng.random() < 0.3:
            title += f" of {rng.choice(NOUN)}s"
        books.append((i, title, author_id, rng.choice(GENRES), rng.randint(1950, 2024),
                      rng.randrange(3, 60) * 100 - 1, isbn13(i)))
    copy_block(out, "books", "id, title, author_id, genre, published_year, price_cents, isbn",
               books)

    book_ids = [b[0] for b in books]
    reviewed = sorted(rng.sample(book_ids, max(1, round(len(book_ids) * 0.9))))
    quality = {b: rng.uniform(2.0, 4.9) for b in reviewed}
    picks = skewed_choices(rng, reviewed, n["reviews"], cap=60.0)
    reviews, prev = [], None
    for i, book_id in enumerate(picks, start=1):
        if prev is not None and rng.random() < 0.05:
            book_id, seconds = prev  # same book, same instant as the previous review
        else:
            seconds = rng.randrange(SPAN_SECONDS)
        rating = min(5, max(1, round(rng.gauss(quality[book_id], 0.9))))
        words = rng.choices(WORDS, k=rng.randint(5, 40))
        body = " ".join(words).capitalize() + "."
        reviews.append((i, book_id, rating, body, timestamp(seconds)))
        prev = (book_id, seconds)
    copy_block(out, "reviews", "id, book_id, rating, body, created_at", reviews)

    customers = [f"{rng.choice(FIRST).lower()}.{rng.choice(LAST).lower()}{c}@example.com"
                 for c in range(1, max(1, round(n["orders"] / 20)) + 1)]
    buyers = skewed_choices(rng, customers, n["orders"], cap=300.0)
    orders, prev = [], None
    for i, email in enumerate(buyers, start=1):
        if prev is not None and rng.random() < 0.1:
            email, seconds = prev  # another line of the same checkout
        else:
            seconds = rng.randrange(SPAN_SECONDS)
        orders.append((i, rng.randint(1, len(book_ids)), rng.choice((1, 1, 1, 1, 2, 2, 3, 5)),
                       email, timestamp(seconds)))
        prev = (email, seconds)
    copy_block(out, "orders", "id, book_id, quantity, customer_email, created_at", orders)

    for table in ("authors", "books", "reviews", "orders"):
        out.append(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table};")
    out += ["COMMIT;", "ANALYZE;", ""]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1234)
    args = parser.parse_args()
    if not 0 < args.scale <= 100:
        parser.error("--scale must be in (0, 100]")
    sys.stdout.write(generate(args.scale, args.seed))


if __name__ == "__main__":
    main()
