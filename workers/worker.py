"""Worker entry module: ``celery -A workers.worker worker -Q <queues>``.

The Flask app is built here, not as a side effect of importing ``tasks.py``;
the tasks are registered here too, so the grader package never imports this one.
"""

from grader import create_app

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
celery_app.conf.update(include=["workers.tasks"])
