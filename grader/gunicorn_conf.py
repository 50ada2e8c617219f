"""Gunicorn settings for the grader's web app (``gunicorn -c python:grader.gunicorn_conf``)."""

import gc


def post_worker_init(worker) -> None:
    """Move the loaded app's objects out of the collector's sight.

    A worker holds ~200k long-lived objects (app, templates, specs); without this every
    full collection walks them all, and the dashboard's p95 doubled (bench/dashboard.py).
    """
    gc.freeze()
