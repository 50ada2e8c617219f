"""The grader's web layer and domain: ``create_app()`` builds the Flask app."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from celery import Celery, Task
from flask import Flask

from grader.config import Config, from_environment
from grader.extensions import csrf, db, limiter, login_manager, migrate

MIGRATIONS = str(Path(__file__).parent / "migrations")


def create_app(config: Config | dict[str, Any] | None = None) -> Flask:
    """Application factory: config from the environment unless one is given (tests)."""
    app = Flask(__name__, instance_relative_config=False)
    base = from_environment()
    app.config.from_object(base)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    Path(app.config["GRADER_INSTANCE_DIR"]).mkdir(parents=True, exist_ok=True)
    Path(app.config["GRADER_WORKDIR"]).mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)

    celery_init_app(app)

    from grader.api import register_api
    from grader.web import register_web

    register_api(app)
    register_web(app)
    return app


def celery_init_app(app: Flask) -> Celery:
    """Bind Celery to the app, as Flask's own ``examples/celery`` does.

    Every task runs inside the app context, so services use ``db.session`` and
    ``current_app.config`` exactly as they do in a request.  The API only sends
    tasks by name; the worker (``workers.worker``) is what imports the tasks.
    """

    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(app.config["CELERY"])
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app
