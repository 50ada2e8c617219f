#!/bin/sh
# api: migrate, then serve with gunicorn.
# worker: the functional queue, with the sweeper's beat.  worker-timed: the timed queue, one at a time.
set -e
wait_for_db() {
  for i in $(seq 1 60); do
    python3 -c "import sqlalchemy as s, os; s.create_engine(os.environ['DATABASE_URL'].replace('postgresql://', 'postgresql+psycopg://', 1)).connect().close()" 2>/dev/null && return 0
    sleep 1
  done
  echo "database not reachable" >&2; exit 1
}
case "$1" in
  api)
    wait_for_db
    grader db upgrade
    exec gunicorn -c python:grader.gunicorn_conf --workers "${GUNICORN_WORKERS:-2}" --bind 0.0.0.0:8080 --access-logfile - "grader:create_app()" ;;
  worker)
    wait_for_db
    exec celery -A workers.worker worker -B --loglevel INFO --concurrency "${WORKER_CONCURRENCY:-2}" \
      -Q "${GRADER_QUEUE_FUNCTIONAL:-grading}" -n "functional@${GRADER_WORKER_NAME:-$(hostname)}" -s /tmp/celerybeat-schedule ;;
  worker-timed)
    wait_for_db
    # One grading at a time per host: a timed measurement never shares the cores with another of its kind.
    exec celery -A workers.worker worker --loglevel INFO --concurrency 1 \
      -Q "${GRADER_QUEUE_TIMED:-grading-timed}" -n "timed@${GRADER_WORKER_NAME:-$(hostname)}" ;;
  *)
    exec "$@" ;;
esac
