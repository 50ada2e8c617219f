#!/bin/sh
# Run time (read-only root, /pg is a tmpfs): copy the seeded data directory, set
# this run's passwords (random, given by the grader), then serve on the run network.
set -eu
BIN=/usr/lib/postgresql/15/bin
cp -a /opt/perfdb/data/pg /pg/data
$BIN/postgres --single -D /pg/data -c unix_socket_directories=/tmp postgres >/dev/null <<SQL
ALTER ROLE grader PASSWORD '${GRADER_DB_PASSWORD}';
ALTER ROLE app PASSWORD '${APP_DB_PASSWORD}';
ALTER ROLE starter PASSWORD '${STARTER_DB_PASSWORD}';
SQL
exec $BIN/postgres -D /pg/data -c listen_addresses='*' -c unix_socket_directories=/tmp \
  -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all \
  -c pg_stat_statements.track_utility=off -c pg_stat_statements.max=10000 \
  -c max_connections=120 -c shared_buffers=128MB \
  -c fsync=off -c synchronous_commit=off -c full_page_writes=off
