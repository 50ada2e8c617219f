"""Is the candidate's database still the seeded one?  Compared with the starter's untouched copy.

The oracle reads the candidate's own database, so an app that deleted or rewrote rows
(say, dropped the books nobody reviewed) would agree with an oracle reading the same
damaged data, and be faster for it.  The starter's database is an identical copy that
the candidate's role cannot even connect to, and the starter only reads it: any
difference between the two, taken before the suite writes anything, is the app's doing.
"""

from __future__ import annotations

import os

import psycopg

TABLES = ("authors", "books", "reviews", "orders")

# Objects the contract forbids: anything but the four tables, their sequences and indexes.
FORBIDDEN_SQL = """
SELECT c.relkind::text || ' ' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg_temp%%'
   AND c.relkind NOT IN ('i', 'I', 'S') AND NOT (c.relkind = 'r' AND c.relname = ANY(%s))
   AND NOT (c.relkind = 'v' AND c.relname LIKE 'pg_stat_statements%%')
UNION ALL
SELECT 'trigger ' || tgname FROM pg_trigger WHERE NOT tgisinternal
UNION ALL
SELECT 'function ' || p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'public' AND p.proname NOT LIKE 'pg_stat_statements%%'
UNION ALL
SELECT 'rule ' || rulename FROM pg_rules WHERE schemaname = 'public'
ORDER BY 1
"""


def fingerprint(dsn: str) -> dict[str, tuple[int, str]]:
    """Row count and a digest of every row, per table (about a second for 270k rows)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        return {
            table: tuple(conn.execute(
                f"SELECT count(*), coalesce(md5(string_agg(md5(t::text), '' ORDER BY t.id)), '') FROM {table} t"
            ).fetchone())
            for table in TABLES
        }


def forbidden_objects(dsn: str) -> list[str]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return [row[0] for row in conn.execute(FORBIDDEN_SQL, (list(TABLES),)).fetchall()]


def snapshot() -> dict:
    """Taken once, before any test writes: the candidate's data, the baseline's, and forbidden objects."""
    try:
        return {
            "candidate": fingerprint(os.environ["DB_DSN"]),
            "baseline": fingerprint(os.environ["DB_DSN_BASELINE"]),
            "forbidden": forbidden_objects(os.environ["DB_DSN"]),
        }
    except (KeyError, psycopg.Error) as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
