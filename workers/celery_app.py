"""Bind Celery to a Flask app, as Flask's own ``examples/celery`` does.

Every task runs inside the app context, so services use ``db.session`` and
``current_app.config`` exactly as they do in a request.
"""

from __future__ import annotations

from celery import Celery, Task
from flask import Flask


def celery_init_app(app: Flask) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(app.config["CELERY"])
    celery_app.conf.update(include=["workers.tasks"])
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app
