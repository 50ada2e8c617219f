"""The perf-challenge database's privileges, with the real build script on a local PostgreSQL 15.

``assessments/perf-challenge/database/build-db.sh`` runs here as it runs in the image
(a smaller seed, a temporary folder): the app's role may read and write the data and
create indexes, and nothing that the grader's superuser sessions could read instead of
the real thing.  What a superuser plants anyway is listed by the integrity check, and
the measure script's statement counts are not fooled by it.  No containers.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import pytest

from tests.servers import PG_BIN, free_port, require_binary, stop, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
DATABASE = ROOT / "assessments" / "perf-challenge" / "database"
HIDDEN = ROOT / "assessments" / "perf-challenge" / "hidden"
PASSWORD = "pw"


def _as_postgres(argv: list[str]) -> subprocess.CompletedProcess:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run(prefix + argv, check=True, capture_output=True, text=True)


@pytest.fixture(scope="module")
def perf_database():
    """The assessment's database built by its own script (seed scale 0.05), served with pg_stat_statements."""
    require_binary(str(PG_BIN / "initdb"))
    folder = Path(tempfile.mkdtemp(prefix="perfdb-"))
    socket_dir, port = folder / "sock", free_port()
    socket_dir.mkdir()
    (folder / "data").mkdir()
    for name in ("schema.sql", "seed.py"):
        shutil.copy(DATABASE / name, folder / name)
    script = (DATABASE / "build-db.sh").read_text()
    script = (script.replace("/opt/perfdb", str(folder)).replace("-k /tmp", f"-k {socket_dir} -p {port}")
              .replace("psql -h /tmp ", f"psql -h {socket_dir} -p {port} ").replace("--scale 1.0", "--scale 0.05"))
    (folder / "build-db.sh").write_text(script)
    if os.geteuid() == 0:
        subprocess.run(["chown", "-R", "postgres:postgres", str(folder)], check=True)
    _as_postgres(["sh", str(folder / "build-db.sh")])
    proc = subprocess.Popen(
        (["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else [])
        + [str(PG_BIN / "postgres"), "-D", str(folder / "data" / "pg"), "-p", str(port), "-k", str(socket_dir),
           "-c", "listen_addresses=127.0.0.1", "-c", "shared_preload_libraries=pg_stat_statements",
           "-c", "pg_stat_statements.track=all", "-c", "pg_stat_statements.track_utility=off", "-c", "fsync=off"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, proc=proc)
        admin = f"host={socket_dir} port={port} user=grader dbname=postgres"
        for _ in range(50):
            try:
                with psycopg.connect(admin, autocommit=True) as conn:
                    for role in ("grader", "app", "starter"):
                        conn.execute(f"ALTER ROLE {role} PASSWORD '{PASSWORD}'")
                break
            except psycopg.OperationalError:
                subprocess.run(["sleep", "0.2"], check=True)
        yield lambda role, db: f"postgresql://{role}:{PASSWORD}@127.0.0.1:{port}/{db}"
    finally:
        stop(proc)
        shutil.rmtree(folder, ignore_errors=True)


REFUSED = [
    "CREATE SCHEMA grader",
    "CREATE VIEW public.pg_stat_statements_app AS SELECT 1 AS calls",
    "CREATE TABLE public.side (id integer)",
    "CREATE FUNCTION public.pg_stat_statements_reset() RETURNS void LANGUAGE sql AS 'SELECT'",
    "CREATE OPERATOR public.= (leftarg = oid, rightarg = bigint, function = oideq)",
    "CREATE TEMP VIEW books AS SELECT * FROM public.books WHERE id < 10",
    "CREATE TRIGGER t BEFORE UPDATE ON public.books FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()",
    "CREATE RULE r AS ON INSERT TO public.reviews DO ALSO NOTIFY r",
    "CREATE POLICY p ON public.books USING (true)",
    "ALTER TABLE public.orders RENAME COLUMN quantity TO qty",
    "DROP TABLE public.orders",
    "ALTER DATABASE bookshop SET search_path = grader, public",
    "CREATE MATERIALIZED VIEW public.m AS SELECT 1",
]


@pytest.mark.parametrize("sql", REFUSED, ids=[s.split(" AS ")[0][:40] for s in REFUSED])
def test_the_app_role_can_plant_nothing(perf_database, sql):
    with psycopg.connect(perf_database("app", "bookshop"), autocommit=True) as conn:
        with pytest.raises(psycopg.Error) as refused:
            conn.execute(sql)
    assert isinstance(refused.value, psycopg.errors.InsufficientPrivilege | psycopg.errors.RaiseException), refused.value


def test_the_app_role_reads_writes_and_creates_indexes_as_the_contract_says(perf_database):
    with psycopg.connect(perf_database("app", "bookshop"), autocommit=True) as conn:
        for _ in range(2):
            conn.execute("CREATE INDEX IF NOT EXISTS ix_books_author ON books (author_id, id)")
        conn.execute("DROP INDEX ix_books_author")
        conn.execute("CREATE INDEX IF NOT EXISTS ix_books_author ON books (author_id, id)")
        review = conn.execute("INSERT INTO reviews (book_id, rating, body) VALUES (1, 5, 'ok') RETURNING id").fetchone()
        conn.execute("UPDATE books SET title = title WHERE id = 1")
        conn.execute("DELETE FROM reviews WHERE id = %s", review)  # the data is restored: integrity below sees none
    with pytest.raises(psycopg.OperationalError, match="CONNECT"):
        psycopg.connect(perf_database("app", "starter")).close()


def _hidden(code: str, env: dict[str, str]) -> dict:
    """Run code with the hidden suite's modules (as the tester does) and return its printed JSON."""
    done = subprocess.run([sys.executable, "-c", code], cwd=HIDDEN, env={**os.environ, **env, "PYTHONPATH": str(HIDDEN)},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


COUNT_20 = """
import json, psycopg, measure
db = measure.Database(__import__("os").environ["DB_DSN"], "app")
db.reset()
with psycopg.connect(__import__("os").environ["APP_DSN"], autocommit=True) as app:
    for i in range(20):
        app.execute("SELECT id FROM books WHERE id = %s", (i,))
print(json.dumps({"count": db.statement_count()}))
"""


def test_a_superusers_plants_are_listed_and_do_not_fool_the_counts(perf_database):
    """Defence in depth: if something did get in, the integrity check names it and the grader still reads the truth."""
    env = {"DB_DSN": perf_database("grader", "bookshop"), "DB_DSN_BASELINE": perf_database("grader", "starter"),
           "DB_ROLE": "app", "APP_DSN": perf_database("app", "bookshop")}
    listing = "import integrity, json; print(json.dumps(integrity.snapshot()))"
    clean = _hidden(listing, env)
    assert clean["forbidden"] == [] and clean["candidate"] == clean["baseline"], clean
    with psycopg.connect(env["DB_DSN"], autocommit=True) as conn:
        conn.execute("""
            CREATE SCHEMA grader;
            CREATE VIEW grader.pg_stat_statements AS SELECT userid, 1::bigint AS calls, query FROM public.pg_stat_statements;
            CREATE FUNCTION grader.pg_stat_statements_reset() RETURNS void LANGUAGE plpgsql AS
                $$ BEGIN ALTER ROLE app SUPERUSER; END $$;
            CREATE FUNCTION public.pg_stat_statements_reset() RETURNS void LANGUAGE plpgsql AS
                $$ BEGIN ALTER ROLE app SUPERUSER; END $$;
            ALTER DATABASE bookshop SET search_path = grader, public;
        """)
    assert _hidden(COUNT_20, env)["count"] == 20
    with psycopg.connect(env["DB_DSN"], autocommit=True) as conn:
        assert conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = 'app'").fetchone() == (False,)
        conn.execute("CREATE TRIGGER t BEFORE UPDATE ON public.books FOR EACH ROW "
                     "EXECUTE FUNCTION suppress_redundant_updates_trigger(); ALTER ROLE app CREATEROLE")
    found = _hidden(listing, env)["forbidden"]
    for what in ("schema grader", "view grader.pg_stat_statements", "function grader.pg_stat_statements_reset()",
                 "function public.pg_stat_statements_reset()", "trigger t on table public.books",
                 "database setting for every role: search_path=grader, public", "role app is createrole"):
        assert what in found, found
