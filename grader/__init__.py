"""The grader's web layer and domain: ``create_app()`` builds the Flask app."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

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

    from workers.celery_app import celery_init_app

    celery_init_app(app)

    from grader.api import register_api
    from grader.web import register_web

    register_api(app)
    register_web(app)
    return app
