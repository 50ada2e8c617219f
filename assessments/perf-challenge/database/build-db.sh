#!/bin/sh
# Build time: initdb, roles, two identical seeded databases (bookshop for the
# candidate, starter for the starter app), each owned by its app's role.
set -eu
BIN=/usr/lib/postgresql/15/bin
DATA=/opt/perfdb/data/pg
cd /opt/perfdb
$BIN/initdb -D "$DATA" -U grader --auth-local=trust --auth-host=scram-sha-256 --no-sync -E UTF8 --locale=C.UTF-8 >/dev/null
echo "host all all 0.0.0.0/0 scram-sha-256" >> "$DATA/pg_hba.conf"
$BIN/pg_ctl -D "$DATA" -o "-c listen_addresses='' -k /tmp -c fsync=off" -w start >/dev/null
psql() { /usr/bin/psql -h /tmp -v ON_ERROR_STOP=1 -q "$@"; }
psql -U grader -d postgres <<'SQL'
CREATE ROLE app LOGIN;
CREATE ROLE starter LOGIN;
CREATE DATABASE bookshop OWNER app;
REVOKE ALL ON DATABASE postgres, template1 FROM PUBLIC;
SQL
psql -U grader -d bookshop -c "CREATE EXTENSION pg_stat_statements"
psql -U app -d bookshop -f schema.sql
python3 seed.py --scale 1.0 | psql -U app -d bookshop
# Hint bits and visibility maps set now, so the first reads of a run do not write.
psql -U grader -d bookshop -c "VACUUM (FREEZE, ANALYZE)"
psql -U grader -d postgres <<'SQL'
CREATE DATABASE starter TEMPLATE bookshop OWNER starter;
REVOKE ALL ON DATABASE bookshop, starter FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE bookshop TO app;
GRANT CONNECT, TEMPORARY ON DATABASE starter TO starter;
SQL
# Not REASSIGN OWNED: that would also hand the bookshop database itself to starter.
psql -U grader -d starter <<'SQL'
DO $$ DECLARE t text; BEGIN
  FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
    EXECUTE format('ALTER TABLE %I OWNER TO starter', t);
  END LOOP;
END $$;
SQL
$BIN/pg_ctl -D "$DATA" -m fast -w stop >/dev/null
