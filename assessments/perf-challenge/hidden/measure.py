"""Measure one running perf-challenge app: statements per request, then behaviour under load.

    python measure.py --app-url http://app:8000 --db-role app --out /out/measurements.json [--repeat 3]

The grader runs this once against the starter and once against the candidate, in the same
run, and scores ratios between the two; so the figures must be comparable run to run more
than they must be absolute. Phase 1 counts the SQL statements the app's role executes for
one request, from pg_stat_statements (DB_DSN, a superuser DSN): the app cannot fake that
figure, and it exposes N+1 patterns directly. Phase 2 is Locust, closed loop (perf_load.py):
each endpoint alone (per-endpoint percentiles), then the weighted mix (throughput, error
rate, the timeline). PERF_OPTIONS (JSON) overrides DEFAULT_OPTIONS key by key.

Every request goes through the tester's one capped client (client.py), the same the
correctness suite uses, so the app cannot tell a probe or a load request from a test.
With --check-answers (the candidate's run) every probe's body and a seeded sample of the
bodies under load are kept and, once the load is over, compared with the suite's oracle
on the database the app serves (answers.py); the grader forfeits a measurement with a
wrong answer.  This script's database sessions resolve names in pg_catalog only and
qualify everything else (support.connect(strict=True)).

The output file is always written (atomically), with problems listed in "errors", and the
exit status is 0 whenever it was written: a broken app is a result, not a crash.

Import order matters: Locust monkey-patches the process with gevent when imported, and
that has to happen before ssl, sockets or psycopg are imported, so main() imports Locust
first and everything network-related is imported inside functions. Under gevent psycopg
switches to its cooperative wait function by itself.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import resource
import signal
import statistics
import sys
import time
import traceback
from typing import Any

DEFAULT_OPTIONS: dict[str, Any] = {
    "warmup_requests": 8,
    "queries": {
        "books-list": {"small": "/books?page=3&per_page=10", "large": "/books?page=3&per_page=50"},
        "book-detail": {"small": "/books/{book}", "large": "/books/{book_many_reviews}"},
        "author": {"small": "/authors/{author_few_books}", "large": "/authors/{author_many_books}"},
        "orders": {"small": "/orders?customer_email={email_many_orders}&per_page=10",
                   "large": "/orders?customer_email={email_many_orders}&per_page=50"},
        "top-books": {"small": "/reports/top-books?limit=5", "large": "/reports/top-books?limit=25"},
    },
    "load": {
        "users": 8, "spawn_rate": 8, "duration_s": 15, "request_timeout_s": 30,
        "per_endpoint": {"users": 4, "spawn_rate": 4, "duration_s": 5},
        "mix": {
            "books-list": {"weight": 3, "path": "/books?page={page}&per_page=20"},
            "book-detail": {"weight": 4, "path": "/books/{book}"},
            "author": {"weight": 2, "path": "/authors/{author}"},
            "orders": {"weight": 2, "path": "/orders?customer_email={email}"},
            "top-books": {"weight": 1, "path": "/reports/top-books?limit=10"},
        },
    },
}

# Not part of the documented options, but overridable through PERF_OPTIONS like the rest.
EXTRA_DEFAULTS: dict[str, Any] = {
    "seed": 1234,
    "warmup_path": "/books/{book}",
    "probe_timeout_s": 60,
    # All probes together: an app that answers nothing in time cannot stretch this script past the
    # grader's measure_timeout_s; probes not sent by then are errors (their counts are missing).
    "queries_budget_s": 100,
    "slow_probe_ms": 2000,
    # A pair whose large probe already runs this many statements more than its small one is an
    # N+1 beyond doubt (thresholds allow a growth of about one): repeating it cannot change a verdict.
    "plain_growth": 10,
}

# Sample pools per placeholder, all ordered so that a fixed seed picks the same values in
# the starter's database and the candidate's (their data is identical).
SAMPLE_SQL: dict[str, str] = {
    "book": "SELECT id FROM public.books ORDER BY id",
    "book_many_reviews": "SELECT book_id FROM public.reviews GROUP BY book_id HAVING count(*) >= 15 ORDER BY book_id",
    "author": "SELECT id FROM public.authors ORDER BY id",
    "author_few_books": "SELECT author_id FROM public.books GROUP BY author_id HAVING count(*) BETWEEN 1 AND 3 "
                        "ORDER BY author_id",
    "author_many_books": "SELECT author_id FROM public.books GROUP BY author_id HAVING count(*) >= 25 ORDER BY author_id",
    "email": "SELECT DISTINCT customer_email FROM public.orders ORDER BY customer_email",
    "email_many_orders": "SELECT customer_email FROM public.orders GROUP BY customer_email HAVING count(*) >= 60 "
                         "ORDER BY customer_email",
}
BOOKS_PER_PAGE_SAMPLE = 20  # {page} ranges over 1..(books / 20)


def load_options(raw: str | None) -> dict[str, Any]:
    """Merge PERF_OPTIONS over the defaults, one level deep, so a partial override keeps the rest."""
    options = json.loads(json.dumps({**DEFAULT_OPTIONS, **EXTRA_DEFAULTS}))
    if raw:
        given = json.loads(raw)
        if not isinstance(given, dict):
            raise ValueError("PERF_OPTIONS must be a JSON object")
        for key, value in given.items():
            if isinstance(value, dict) and isinstance(options.get(key), dict) and key != "queries":
                options[key] = {**options[key], **value}
            else:
                options[key] = value
    return options


def now_iso() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def write_atomically(path: str, data: dict[str, Any]) -> None:
    """A reader (the grader) must never see a half-written file, so write beside it and rename."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1, sort_keys=False)
        handle.write("\n")
    os.replace(tmp, path)


_CLIENTS: dict[str, Any] = {}


def http_get(url: str, timeout: float) -> tuple[int | None, int, float, str | None, bytes]:
    """One GET through the tester's capped client (client.py, the same the suite and the load use):
    (status or None, body bytes, elapsed ms, problem, body)."""
    from urllib.parse import urlsplit

    from client import CappedClient, Caps

    parts = urlsplit(url)
    base = f"{parts.scheme}://{parts.netloc}"
    if base not in _CLIENTS:
        _CLIENTS[base] = CappedClient(base, Caps(total_s=timeout), connections=32)
    start = time.perf_counter()
    try:
        response = _CLIENTS[base].get(url[len(base):] or "/", timeout=timeout)
    except Exception as exc:  # timeouts, refused connections, resets, caps exceeded: all mean "no answer"
        return None, 0, round((time.perf_counter() - start) * 1000, 1), f"{type(exc).__name__}: {exc}", b""
    body = response.content
    return response.status_code, len(body), round((time.perf_counter() - start) * 1000, 1), None, body


class Database:
    """The grader's superuser connection, plus a second one to the app's own database for sampling."""

    def __init__(self, dsn: str, role: str) -> None:
        import support

        self.dsn = dsn
        self.role = role
        # A session that resolves unqualified names in pg_catalog only (never in a schema named after
        # the role), and every other name below is qualified; the reset names its exact signature.  No
        # view or function of the app's can stand in for the statistics this script reads or resets.
        self.conn = support.connect(dsn, strict=True, connect_timeout=10)
        row = self.conn.execute("SELECT oid FROM pg_catalog.pg_roles WHERE rolname = %s", (role,)).fetchone()
        if row is None:
            raise RuntimeError(f"no database role {role!r}")
        self.role_oid = row[0]
        has_pgss = self.conn.execute(
            "SELECT 1 FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = 'pg_stat_statements' AND n.nspname = 'public'").fetchone()
        if not has_pgss:
            raise RuntimeError("pg_stat_statements is not installed in the DB_DSN database's public schema")

    def app_database(self) -> str:
        """The database the app's role is connected to (after warm-up); sampling reads the data the app serves."""
        row = self.conn.execute(
            "SELECT datname FROM pg_catalog.pg_stat_activity WHERE usename = %s AND datname IS NOT NULL "
            "GROUP BY datname ORDER BY count(*) DESC, datname LIMIT 1", (self.role,)).fetchone()
        if row:
            return row[0]
        return self.conn.info.dbname

    def backends(self) -> int:
        return self.conn.execute("SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE usename = %s",
                                 (self.role,)).fetchone()[0]

    def wait_until_idle(self, limit_s: float) -> float:
        """Wait for the app's connections to go quiet, so leftovers of earlier traffic (the grader's tests,
        timed-out requests still running) are not charged to a probe; returns the seconds waited."""
        start = time.perf_counter()
        while time.perf_counter() - start < limit_s:
            busy = self.conn.execute("SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE usename = %s AND state = 'active'",
                                     (self.role,)).fetchone()[0]
            if not busy:
                break
            time.sleep(0.5)
        return round(time.perf_counter() - start, 1)

    def reset(self) -> datetime.datetime:
        """Reset statement counters and return the server's clock, to spot connections opened during the probe."""
        # Typed arguments name the extension's own function exactly: no other overload can match.
        self.conn.execute("SELECT public.pg_stat_statements_reset(0::pg_catalog.oid, 0::pg_catalog.oid, 0::pg_catalog.int8)")
        return self.conn.execute("SELECT pg_catalog.clock_timestamp()").fetchone()[0]

    def statement_count(self) -> int:
        row = self.conn.execute("SELECT coalesce(sum(calls), 0) FROM public.pg_stat_statements WHERE userid = %s",
                                (self.role_oid,)).fetchone()
        return int(row[0])

    def new_connections_since(self, since: datetime.datetime) -> int:
        return self.conn.execute("SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE usename = %s AND backend_start >= %s",
                                 (self.role, since)).fetchone()[0]

    def top_statements(self, limit: int = 5) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT query, calls FROM public.pg_stat_statements WHERE userid = %s ORDER BY calls DESC, query LIMIT %s",
            (self.role_oid, limit)).fetchall()
        return [{"query": " ".join(query.split())[:200], "calls": int(calls)} for query, calls in rows]

    def dsn_of(self, dbname: str) -> str:
        from psycopg.conninfo import make_conninfo

        return make_conninfo(self.dsn, dbname=dbname)

    def sample_pools(self, dbname: str) -> dict[str, list]:
        import support

        with support.connect(self.dsn_of(dbname), strict=True, connect_timeout=10) as conn:
            pools = {name: [row[0] for row in conn.execute(sql).fetchall()] for name, sql in SAMPLE_SQL.items()}
        pools["page"] = list(range(1, max(1, len(pools["book"]) // BOOKS_PER_PAGE_SAMPLE) + 1))
        return pools


def picks_per_repeat(pools: dict[str, list], seed: Any, repeat: int) -> list[dict[str, Any]]:
    """Distinct values per repeat where the pool allows, each placeholder from its own seeded generator,
    so adding a placeholder or an endpoint does not change the others' samples."""
    chosen: dict[str, list] = {}
    for name, pool in pools.items():
        if not pool:
            continue
        rng = random.Random(f"{seed}:{name}")
        values = rng.sample(pool, min(repeat, len(pool)))
        chosen[name] = [values[i % len(values)] for i in range(repeat)]
    return [{name: values[i] for name, values in chosen.items()} for i in range(repeat)]


def warm_up(app_url: str, template: str, picks: dict[str, Any], count: int, timeout: float) -> list[str]:
    """Concurrent GETs so that every gunicorn worker has opened its DB connections before counting starts:
    connection set-up queries (version, search_path…) must not be charged to a measured request."""
    import threading

    from perf_load import fill

    problems: list[str] = []
    url = app_url.rstrip("/") + fill(template, picks)

    def one() -> None:
        status, _, _, problem, _ = http_get(url, timeout)
        if status is None or not 200 <= status < 300:
            problems.append(f"warm-up GET {url} -> {problem or status}")

    threads = [threading.Thread(target=one) for _ in range(max(1, count))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [f"{problem} (x{problems.count(problem)})" for problem in sorted(set(problems))]


def phase_queries(db: Database, app_url: str, options: dict[str, Any], repeat: int, pools: dict[str, list],
                  errors: list[str], samples: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Statements per request, one request at a time; every count is kept so a noisy one is visible.

    Each probe's body goes to ``samples`` (with the probe's own entry), checked after the load."""
    from perf_load import fill, placeholders

    timeout = float(options["probe_timeout_s"])
    deadline = time.monotonic() + float(options["queries_budget_s"])
    picks = picks_per_repeat(pools, options["seed"], repeat)
    result: dict[str, Any] = {}
    gave_up: set[tuple[str, str]] = set()
    for name, sizes in options["queries"].items():
        result[name] = {size: {"counts": [], "median": None, "probes": []} for size in sizes}
    for index in range(repeat):
        for name, sizes in options["queries"].items():
            for size, template in sizes.items():
                entry = result[name][size]
                if (name, size) in gave_up:
                    continue
                missing = [p for p in placeholders(template) if p not in picks[index]]
                if missing:
                    errors.append(f"queries {name}/{size}: no sample for placeholder(s) {', '.join(missing)}")
                    gave_up.add((name, size))
                    continue
                path = fill(template, picks[index])
                left = deadline - time.monotonic()
                if left < 1:
                    errors.append(f"queries {name}/{size}: not probed, the probes' {options['queries_budget_s']} s "
                                  "were spent (the app answered slowly or not at all)")
                    gave_up.add((name, size))
                    continue
                probe = probe_once(db, app_url, path, min(timeout, left))
                if probe["new_connections"]:
                    # Most likely a worker that missed the warm-up; its set-up queries are not the request's.
                    retry = probe_once(db, app_url, path, min(timeout, max(1.0, deadline - time.monotonic())))
                    retry["retried"] = True
                    probe = retry
                count = probe.pop("count")
                top = probe.pop("top")
                body = probe.pop("body")
                if samples is not None and probe["status"] is not None and 200 <= probe["status"] < 300:
                    samples.append({"endpoint": name, "path": path, "body": body, "probe": probe})
                entry["counts"].append(count)
                entry["probes"].append(probe)
                if size == "large" and index == 0:
                    entry["top_statements"] = top
                if probe["status"] is None:
                    errors.append(f"queries {name}/{size}: GET {path} got no answer ({probe.get('error')}); "
                                  "later repeats of this probe skipped")
                    gave_up.add((name, size))
                elif not 200 <= probe["status"] < 300:
                    errors.append(f"queries {name}/{size}: GET {path} answered {probe['status']}")
                elif probe.get("ms", 0) > float(options["slow_probe_ms"]):
                    # Repeats guard counts near a threshold; a probe this slow is far from any, and
                    # repeating it would only stretch the grading of a slow app.
                    gave_up.add((name, size))
            counts = [result[name][size]["counts"] for size in ("small", "large") if size in sizes]
            if len(counts) == 2 and all(len(c) > index for c in counts) \
                    and counts[1][index] - counts[0][index] >= float(options["plain_growth"]):
                gave_up.update((name, size) for size in sizes)
    for sizes in result.values():
        for entry in sizes.values():
            if entry["counts"]:
                entry["median"] = statistics.median(entry["counts"])
    return result


def probe_once(db: Database, app_url: str, path: str, timeout: float) -> dict[str, Any]:
    since = db.reset()
    status, size, ms, problem, body = http_get(app_url.rstrip("/") + path, timeout)
    probe: dict[str, Any] = {"path": path, "status": status, "ms": ms, "bytes": size, "body": body,
                             "count": db.statement_count(), "top": db.top_statements(),
                             "new_connections": db.new_connections_since(since)}
    if problem:
        probe["error"] = problem
    return probe


def check_answers(dsn: str, probe_samples: list[dict[str, Any]], load_samples: list[dict[str, Any]]) -> dict[str, Any]:
    """Compare the kept answers with the oracle on the app's own database (answers.py).

    Each probe's entry gets ``answer`` (``ok``, ``wrong`` with the differences, or ``unchecked``);
    the summary counts per endpoint, for probes and for the load sample separately.
    """
    import answers
    import support

    support.use_database(dsn)
    result: dict[str, Any] = {"probes": {}, "load": {}}
    for sample in probe_samples:
        summary = answers.check_all([sample])
        probe = sample["probe"]
        probe["answer"] = ("unchecked" if summary["unchecked"] else "wrong" if summary["wrong"] else "ok")
        if summary["wrong"]:
            probe["differences"] = summary["examples"][0]["differences"]
        totals = result["probes"].setdefault(sample["endpoint"], {"checked": 0, "wrong": 0, "unchecked": 0,
                                                                  "examples": [], "unchecked_reasons": []})
        for key in ("checked", "wrong", "unchecked"):
            totals[key] += summary[key]
        totals["examples"] = (totals["examples"] + summary["examples"])[:3]
        totals["unchecked_reasons"] = (totals["unchecked_reasons"] + summary["unchecked_reasons"])[:3]
    for endpoint in sorted({s["endpoint"] for s in load_samples}):
        result["load"][endpoint] = answers.check_all([s for s in load_samples if s["endpoint"] == endpoint])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app-url", required=True)
    parser.add_argument("--db-role", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--check-answers", action="store_true",
                        help="compare every probe's answer and a sample of the answers under load with the oracle")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    errors: list[str] = []
    output: dict[str, Any] = {"app_url": args.app_url, "role": args.db_role, "started_at": now_iso(),
                              "duration_s": None, "database": None, "queries": {}, "load": None, "errors": errors}

    def terminate(signum: int, _frame: Any) -> None:
        raise SystemExit(f"stopped by signal {signum}")

    # A grader that times the script out with SIGTERM still gets what was measured so far.
    signal.signal(signal.SIGTERM, terminate)

    def note(phase: str, exc: BaseException) -> None:
        errors.append(f"{phase}: {type(exc).__name__}: {exc}")
        traceback.print_exc(file=sys.stderr)

    try:
        try:
            import locust  # noqa: F401  (monkey-patches with gevent; must precede any socket or ssl import)
        except Exception as exc:  # phase 1 still works without Locust
            note("import locust", exc)
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

        options = load_options(os.environ.get("PERF_OPTIONS"))
        output["options"] = options
        repeat = max(1, args.repeat)

        db = pools = app_dsn = None
        probe_samples: list[dict[str, Any]] | None = [] if args.check_answers else None
        load_samples: list[dict[str, Any]] | None = [] if args.check_answers else None
        try:
            dsn = os.environ.get("DB_DSN")
            if not dsn:
                raise RuntimeError("DB_DSN is not set")
            db = Database(dsn, args.db_role)
        except Exception as exc:
            note("database", exc)

        if db is not None:
            try:
                # Sample from the DSN's database first (identical data), warm up, then re-sample from the
                # database the app actually uses, now visible in pg_stat_activity.
                first = db.sample_pools(db.conn.info.dbname)
                warm_picks = picks_per_repeat(first, options["seed"], 1)[0]
                for problem in warm_up(args.app_url, options["warmup_path"], warm_picks,
                                       int(options["warmup_requests"]), float(options["probe_timeout_s"])):
                    errors.append(problem)
                output["database"] = db.app_database()
                app_dsn = db.dsn_of(output["database"])
                pools = first if output["database"] == db.conn.info.dbname else db.sample_pools(output["database"])
                waited = db.wait_until_idle(float(options["probe_timeout_s"]))
                output["warmup"] = {"requests": int(options["warmup_requests"]), "role_connections": db.backends(),
                                    "waited_for_idle_s": waited}
            except Exception as exc:
                note("sampling/warm-up", exc)

        if db is not None and pools is not None:
            try:
                output["queries"] = phase_queries(db, args.app_url, options, repeat, pools, errors, probe_samples)
            except Exception as exc:
                note("queries", exc)

        try:
            if db is not None:
                db.conn.close()
        except Exception:
            pass

        try:
            if pools is None:
                raise RuntimeError("no samples from the database, so no load paths")
            from perf_load import run_load

            # Each endpoint alone first, in the mix's order (cheapest first: requests a slow app
            # abandons at the end of a run keep its CPU busy for a while, and that spill-over should
            # only ever fall on endpoints that are slower anyway).  In a mixed closed loop the users
            # pile up on the slowest endpoint, and the few requests a slow app completes elsewhere
            # say little; the mixed run gives throughput, error rate and the timeline.
            alone = options["load"].get("per_endpoint")
            per_endpoint = {}
            for name, entry in (options["load"]["mix"].items() if alone else ()):
                profile = {**options["load"], **alone, "mix": {name: entry}}
                figures, problems = run_load(args.app_url, profile, pools, options["seed"], load_samples)
                errors.extend(problems)
                per_endpoint[name] = {**figures["endpoints"][name], "users": profile["users"],
                                      "duration_s": profile["duration_s"]}
            output["load"], problems = run_load(args.app_url, options["load"], pools, options["seed"], load_samples)
            errors.extend(problems)
            if per_endpoint:
                output["load"]["mixed_endpoints"] = output["load"]["endpoints"]
                output["load"]["endpoints"] = per_endpoint
        except Exception as exc:
            note("load", exc)

        if args.check_answers:
            try:  # after the load window: the checking costs the app no time
                if app_dsn is None:
                    raise RuntimeError("no database to check the answers against")
                output["answers"] = check_answers(app_dsn, probe_samples or [], load_samples or [])
            except Exception as exc:
                note("answers", exc)
    except BaseException as exc:  # keep the promise of always writing the file, even on Ctrl-C
        note("measure", exc)
    finally:
        output["duration_s"] = round(time.perf_counter() - started, 1)
        # This script's own CPU (the load generator included): the grader counts it as the run's
        # own when it checks whether anything else used the host's cores meanwhile.
        usage = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        output["cpu_s"] = round(sum(u.ru_utime + u.ru_stime for u in usage), 3)
        try:
            write_atomically(args.out, output)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
