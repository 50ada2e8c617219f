"""Is the candidate's database still the seeded one?  Compared with the starter's untouched copy.

The oracle reads the candidate's own database, so an app that deleted or rewrote rows
(say, dropped the books nobody reviewed) would agree with an oracle reading the same
damaged data, and be faster for it.  The starter's database is an identical copy that
the candidate's role cannot even connect to, and the starter only reads it: any
difference between the two, taken before the suite writes anything, is the app's doing.

The same comparison covers the schema: every object of the candidate's database
(schemas, tables, views, materialised views, sequences, columns, constraints, functions,
types, triggers, rules, policies, extensions, event triggers, casts, operators…) that
the starter's copy does not have, or that is missing from it, is listed; indexes are
the one addition the contract allows.  The database's privileges already refuse all of
these to the app's role (database/build-db.sh); this is the check that would tell if
they did not.  So is the app's role itself: it must not have gained any attribute or
membership.
"""

from __future__ import annotations

import os

import psycopg
import support

TABLES = ("authors", "books", "reviews", "orders")

# Objects created after initdb (oid >= FirstNormalObjectId), described without oids, so the
# two databases (one a template copy of the other) can be compared as sets of lines.
# Indexes (relkind i, I) and their columns are left out: the contract allows them.
INVENTORY_SQL = """
WITH described(kind, what) AS (
    SELECT 'relation', pg_catalog.pg_describe_object('pg_catalog.pg_class'::pg_catalog.regclass, c.oid, 0)
      FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE c.oid >= 16384 AND c.relkind NOT IN ('i', 'I', 't') AND n.nspname <> 'pg_toast'
    UNION ALL
    SELECT 'column', pg_catalog.pg_describe_object('pg_catalog.pg_class'::pg_catalog.regclass, a.attrelid, a.attnum)
           || ' ' || pg_catalog.format_type(a.atttypid, a.atttypmod)
      FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
     WHERE c.oid >= 16384 AND c.relkind NOT IN ('i', 'I', 't') AND a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT 'default', pg_catalog.pg_describe_object('pg_catalog.pg_attrdef'::pg_catalog.regclass, d.oid, 0)
      FROM pg_catalog.pg_attrdef d WHERE d.oid >= 16384
    UNION ALL
    SELECT 'namespace', pg_catalog.pg_describe_object('pg_catalog.pg_namespace'::pg_catalog.regclass, oid, 0)
      FROM pg_catalog.pg_namespace WHERE oid >= 16384 AND nspname NOT LIKE 'pg_temp%' AND nspname NOT LIKE 'pg_toast_temp%'
    UNION ALL
    SELECT 'proc', pg_catalog.pg_describe_object('pg_catalog.pg_proc'::pg_catalog.regclass, oid, 0)
      FROM pg_catalog.pg_proc WHERE oid >= 16384
    UNION ALL
    SELECT 'type', pg_catalog.pg_describe_object('pg_catalog.pg_type'::pg_catalog.regclass, t.oid, 0)
      FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
     WHERE t.oid >= 16384 AND n.nspname <> 'pg_toast'
    UNION ALL
    SELECT 'constraint', pg_catalog.pg_describe_object('pg_catalog.pg_constraint'::pg_catalog.regclass, oid, 0)
      FROM pg_catalog.pg_constraint WHERE oid >= 16384
    UNION ALL
    SELECT 'trigger', pg_catalog.pg_describe_object('pg_catalog.pg_trigger'::pg_catalog.regclass, oid, 0)
      FROM pg_catalog.pg_trigger WHERE oid >= 16384
    UNION ALL
    SELECT 'rule', pg_catalog.pg_describe_object('pg_catalog.pg_rewrite'::pg_catalog.regclass, oid, 0)
      FROM pg_catalog.pg_rewrite WHERE oid >= 16384
    UNION ALL
    SELECT 'policy', pg_catalog.pg_describe_object('pg_catalog.pg_policy'::pg_catalog.regclass, oid, 0)
      FROM pg_catalog.pg_policy
    UNION ALL
    SELECT 'extension', pg_catalog.pg_describe_object('pg_catalog.pg_extension'::pg_catalog.regclass, oid, 0)
      FROM pg_catalog.pg_extension WHERE oid >= 16384
    UNION ALL
    SELECT 'event trigger', pg_catalog.pg_describe_object('pg_catalog.pg_event_trigger'::pg_catalog.regclass, oid, 0)
           || ' (' || evtevent || ', enabled ' || evtenabled::text || ')'
      FROM pg_catalog.pg_event_trigger
    UNION ALL
    SELECT 'other', pg_catalog.pg_describe_object(catalog::pg_catalog.regclass, oid, 0)
      FROM (
        SELECT 'pg_catalog.pg_cast' AS catalog, oid FROM pg_catalog.pg_cast WHERE oid >= 16384
        UNION ALL SELECT 'pg_catalog.pg_operator', oid FROM pg_catalog.pg_operator WHERE oid >= 16384
        UNION ALL SELECT 'pg_catalog.pg_opclass', oid FROM pg_catalog.pg_opclass WHERE oid >= 16384
        UNION ALL SELECT 'pg_catalog.pg_opfamily', oid FROM pg_catalog.pg_opfamily WHERE oid >= 16384
        UNION ALL SELECT 'pg_catalog.pg_collation', oid FROM pg_catalog.pg_collation WHERE oid >= 16384
        UNION ALL SELECT 'pg_catalog.pg_conversion', oid FROM pg_catalog.pg_conversion WHERE oid >= 16384
        UNION ALL SELECT 'pg_catalog.pg_language', oid FROM pg_catalog.pg_language WHERE oid >= 16384
        UNION ALL SELECT 'pg_catalog.pg_ts_config', oid FROM pg_catalog.pg_ts_config WHERE oid >= 16384
        UNION ALL SELECT 'pg_catalog.pg_ts_dict', oid FROM pg_catalog.pg_ts_dict WHERE oid >= 16384
        UNION ALL SELECT 'pg_catalog.pg_statistic_ext', oid FROM pg_catalog.pg_statistic_ext WHERE oid >= 16384
        UNION ALL SELECT 'pg_catalog.pg_foreign_data_wrapper', oid FROM pg_catalog.pg_foreign_data_wrapper
        UNION ALL SELECT 'pg_catalog.pg_foreign_server', oid FROM pg_catalog.pg_foreign_server
        UNION ALL SELECT 'pg_catalog.pg_publication', oid FROM pg_catalog.pg_publication
        UNION ALL SELECT 'pg_catalog.pg_transform', oid FROM pg_catalog.pg_transform
        UNION ALL SELECT 'pg_catalog.pg_am', oid FROM pg_catalog.pg_am WHERE oid >= 16384
      ) extra
    UNION ALL
    SELECT 'table option', 'table ' || c.relname || ' ' || concat_ws(' ',
               CASE WHEN c.relrowsecurity THEN 'row level security' END,
               CASE WHEN c.relforcerowsecurity THEN 'forced row level security' END,
               CASE WHEN c.relhasrules THEN 'rules' END)
      FROM pg_catalog.pg_class c
     WHERE c.oid >= 16384 AND (c.relrowsecurity OR c.relforcerowsecurity OR c.relhasrules)
)
SELECT DISTINCT what FROM described WHERE what IS NOT NULL
"""

# The app's role: no attribute beyond LOGIN, no membership, no role settings that reach the grader.
ROLE_SQL = """
SELECT r.rolname, r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolreplication, r.rolbypassrls,
       ARRAY(SELECT g.rolname FROM pg_catalog.pg_auth_members m JOIN pg_catalog.pg_roles g ON g.oid = m.roleid
              WHERE m.member = r.oid ORDER BY 1)
  FROM pg_catalog.pg_roles r WHERE r.rolname = %s
"""

# Database-wide settings apply to every session, the grader's too.
SETTINGS_SQL = """
SELECT coalesce(r.rolname, 'every role') || ': ' || array_to_string(s.setconfig, ', ')
  FROM pg_catalog.pg_db_role_setting s
  LEFT JOIN pg_catalog.pg_roles r ON r.oid = s.setrole
  JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase
 WHERE d.datname = pg_catalog.current_database()
"""


def fingerprint(dsn: str) -> dict[str, tuple[int, str]]:
    """Row count and a digest of every row, per table (about a second for 270k rows)."""
    with support.connect(dsn, strict=True) as conn:
        return {
            table: tuple(conn.execute(
                f"SELECT pg_catalog.count(*), coalesce(pg_catalog.md5(pg_catalog.string_agg(pg_catalog.md5(t::text), '' "
                f"ORDER BY t.id)), '') FROM public.{table} t"
            ).fetchone())
            for table in TABLES
        }


def inventory(dsn: str) -> set[str]:
    with support.connect(dsn, strict=True) as conn:
        found = {row[0] for row in conn.execute(INVENTORY_SQL).fetchall()}
        found |= {f"database setting for {row[0]}" for row in conn.execute(SETTINGS_SQL).fetchall()}
        return found


def role_problems(dsn: str, role: str) -> list[str]:
    """What the app's role has that it was not given (a superuser bit, a membership)."""
    with support.connect(dsn, strict=True) as conn:
        row = conn.execute(ROLE_SQL, (role,)).fetchone()
    if row is None:
        return []
    name, *flags, members = row
    labels = ("superuser", "createrole", "createdb", "replication", "bypassrls")
    problems = [f"role {name} is {label}" for label, flag in zip(labels, flags, strict=True) if flag]
    problems += [f"role {name} is a member of {group}" for group in members]
    return problems


def forbidden_objects(dsn: str, baseline_dsn: str, role: str | None = None) -> list[str]:
    """Objects the candidate's database has and the starter's copy has not (or the reverse), indexes aside."""
    mine, seeded = inventory(dsn), inventory(baseline_dsn)
    found = sorted(mine - seeded) + [f"missing: {what}" for what in sorted(seeded - mine)]
    if role:
        found += role_problems(dsn, role)
    return found


def snapshot() -> dict:
    """Taken once, before any test writes: the candidate's data, the baseline's, and forbidden objects."""
    try:
        return {
            "candidate": fingerprint(os.environ["DB_DSN"]),
            "baseline": fingerprint(os.environ["DB_DSN_BASELINE"]),
            "forbidden": forbidden_objects(os.environ["DB_DSN"], os.environ["DB_DSN_BASELINE"],
                                           os.environ.get("DB_ROLE")),
        }
    except (KeyError, psycopg.Error) as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
