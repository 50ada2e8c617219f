"""Worker entry module: ``celery -A workers.worker worker``.

The Flask app is built here, not as a side effect of importing ``tasks.py``.
"""

from grader import create_app

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
