#!/bin/sh
# Build time: initdb, roles, two identical seeded databases (bookshop for the
# candidate, starter for the starter app).
#
# Who owns what (the grader's queries run as the superuser `grader`, so nothing the apps
# can create may ever be found by them):
# - `grader` owns both databases and their `public` schema; the apps' roles have CONNECT
#   and nothing else on the database (no CREATE: no schemas; no TEMPORARY: no temp objects).
# - Each app's role owns its four tables (and their identity sequences) and may CREATE in
#   `public`: in PostgreSQL 15 CREATE INDEX needs both (the table's ownership and CREATE on
#   its schema), and the contract lets create_app() run `CREATE INDEX IF NOT EXISTS` itself.
# - What those two would otherwise allow (tables, views, functions, operators, types in
#   `public`; ALTER/DROP of the tables, triggers, rules, policies, comments) is refused by
#   the event trigger `grader_only_indexes`: a role that is not a superuser may run no DDL
#   but CREATE/ALTER/DROP INDEX.  Event triggers fire for every role and only a superuser
#   can disable them.  hidden/integrity.py lists anything that would get through anyway,
#   and the grader's sessions never resolve a name the app could have planted (see
#   hidden/support.py GRADER_SESSION and hidden/measure.py).
set -eu
BIN=/usr/lib/postgresql/15/bin
DATA=/opt/perfdb/data/pg
cd /opt/perfdb
$BIN/initdb -D "$DATA" -U grader --auth-local=trust --auth-host=scram-sha-256 --no-sync -E UTF8 --locale=C.UTF-8 >/dev/null
echo "host all all 0.0.0.0/0 scram-sha-256" >> "$DATA/pg_hba.conf"
$BIN/pg_ctl -D "$DATA" -o "-c listen_addresses='' -k /tmp -c fsync=off" -w start >/dev/null
psql() { /usr/bin/psql -h /tmp -v ON_ERROR_STOP=1 -q "$@"; }
psql -U grader -d postgres <<'SQL'
CREATE ROLE app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
CREATE ROLE starter LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
CREATE DATABASE bookshop OWNER grader;
REVOKE ALL ON DATABASE postgres, template1 FROM PUBLIC;
SQL
psql -U grader -d bookshop <<'SQL'
ALTER SCHEMA public OWNER TO grader;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
CREATE EXTENSION pg_stat_statements SCHEMA public;
-- DDL by anyone but a superuser: indexes only (the contract's one allowance).
CREATE SCHEMA grader_guard AUTHORIZATION grader;
REVOKE ALL ON SCHEMA grader_guard FROM PUBLIC;
CREATE FUNCTION grader_guard.only_indexes() RETURNS event_trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user)
       AND tg_tag NOT IN ('CREATE INDEX', 'ALTER INDEX', 'DROP INDEX') THEN
        RAISE EXCEPTION 'perf-challenge: % is not allowed; the app may only create indexes', tg_tag
            USING HINT = 'The contract allows CREATE INDEX IF NOT EXISTS and nothing else that changes the schema.';
    END IF;
END $$;
CREATE EVENT TRIGGER grader_only_indexes ON ddl_command_start EXECUTE FUNCTION grader_guard.only_indexes();
SQL
psql -U grader -d bookshop -f schema.sql
python3 seed.py --scale 1.0 | psql -U grader -d bookshop
# Hint bits and visibility maps set now, so the first reads of a run do not write.
psql -U grader -d bookshop -c "VACUUM (FREEZE, ANALYZE)"
psql -U grader -d postgres <<'SQL'
CREATE DATABASE starter TEMPLATE bookshop OWNER grader;
REVOKE ALL ON DATABASE bookshop, starter FROM PUBLIC;
GRANT CONNECT ON DATABASE bookshop TO app;
GRANT CONNECT ON DATABASE starter TO starter;
SQL
# The four tables (and with them their sequences) to each database's app role.
for pair in bookshop:app starter:starter; do
  psql -U grader -d "${pair%%:*}" -v role="${pair#*:}" <<'SQL'
GRANT USAGE, CREATE ON SCHEMA public TO :"role";
ALTER TABLE public.authors OWNER TO :"role";
ALTER TABLE public.books OWNER TO :"role";
ALTER TABLE public.reviews OWNER TO :"role";
ALTER TABLE public.orders OWNER TO :"role";
SQL
done
$BIN/pg_ctl -D "$DATA" -m fast -w stop >/dev/null
