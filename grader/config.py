"""Configuration classes read from the environment.

Two ways to run, chosen by environment variables alone:
- embedded (default): SQLite file and a Celery broker kept in a SQLite file too
  (kombu's SQLAlchemy transport), so one machine needs no server;
- production: ``DATABASE_URL`` (PostgreSQL) and ``CELERY_BROKER_URL`` (Redis).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _list(name: str, default: str = "") -> list[str]:
    return [x.strip() for x in os.environ.get(name, default).split(",") if x.strip()]


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


class Config:
    """Settings shared by every environment; each one can be overridden by a variable."""

    def __init__(self) -> None:
        instance = Path(os.environ.get("GRADER_INSTANCE_DIR", ROOT / "instance")).resolve()
        self.GRADER_INSTANCE_DIR = str(instance)
        self.SECRET_KEY = os.environ.get("SECRET_KEY", "dev-not-secret")
        self.SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", f"sqlite:///{instance / 'grader.db'}")
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        if self.SQLALCHEMY_DATABASE_URI.startswith("postgres://"):
            self.SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://" + self.SQLALCHEMY_DATABASE_URI[len("postgres://"):]
        elif self.SQLALCHEMY_DATABASE_URI.startswith("postgresql://"):
            self.SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://" + self.SQLALCHEMY_DATABASE_URI[len("postgresql://"):]
        soft = _int("GRADER_TASK_SOFT_LIMIT_S", 1500)
        self.CELERY = {
            "broker_url": os.environ.get("CELERY_BROKER_URL", f"sqla+sqlite:///{instance / 'broker.db'}"),
            "task_ignore_result": True,
            "task_acks_late": True,
            "task_reject_on_worker_lost": True,
            "worker_prefetch_multiplier": 1,
            "task_soft_time_limit": soft,
            "task_time_limit": soft + 60,
            "broker_connection_retry_on_startup": True,
            "beat_schedule": {
                "sweep-stuck-submissions": {"task": "workers.tasks.sweep_stuck", "schedule": 60.0},
            },
            "task_always_eager": False,
        }
        if self.CELERY["broker_url"].startswith(("redis://", "rediss://")):
            # An unacknowledged grading is redelivered only after this long: longer than any grading.
            self.CELERY["broker_transport_options"] = {"visibility_timeout": soft + 300}
        # Two queues: timed gradings (an assessment's data says ``timed: true``) are consumed one
        # at a time per host by their own worker; everything else by the functional worker(s).
        self.GRADER_QUEUE_FUNCTIONAL = os.environ.get("GRADER_QUEUE_FUNCTIONAL", "grading")
        self.GRADER_QUEUE_TIMED = os.environ.get("GRADER_QUEUE_TIMED", "grading-timed")
        self.CELERY["task_default_queue"] = self.GRADER_QUEUE_FUNCTIONAL
        # State shared by every worker process of one host (they must all see this directory): the
        # host lock (services/timing.py) and the starter baselines measured on this host (services/baselines.py).
        self.GRADER_HOST_DIR = os.environ.get("GRADER_HOST_DIR", str(instance / "host"))
        self.GRADER_HOST_WAIT_S = _int("GRADER_HOST_WAIT_S", soft // 2)
        # Reuse a starter's figures measured earlier on this host while a short probe agrees (off: measure every run).
        self.GRADER_BASELINE_CACHE = _bool("GRADER_BASELINE_CACHE", True)
        # Cloning: what a submitted URL may be.
        self.GRADER_ALLOW_LOCAL_REPOS = _bool("GRADER_ALLOW_LOCAL_REPOS", False)
        self.GRADER_CLONE_ALLOWED_HOSTS = _list("GRADER_CLONE_ALLOWED_HOSTS")
        self.GRADER_CLONE_TIMEOUT_S = _int("GRADER_CLONE_TIMEOUT_S", 120)
        self.GRADER_CLONE_MAX_MB = _int("GRADER_CLONE_MAX_MB", 100)
        # Sandbox images and dependency downloads.
        self.GRADER_BASE_IMAGE = os.environ.get("GRADER_BASE_IMAGE", "grader-base:bookworm")
        cert = os.environ.get("GRADER_PIP_CERT") or ""
        # An empty or missing file means "no extra CA" (compose mounts /dev/null by default).
        self.GRADER_PIP_CERT = cert if cert and os.path.isfile(cert) and os.path.getsize(cert) > 0 else None
        self.GRADER_PIP_INDEX_URL = os.environ.get("GRADER_PIP_INDEX_URL", "")
        self.GRADER_MAX_DOWNLOAD_MB = _int("GRADER_MAX_DOWNLOAD_MB", 400)
        self.GRADER_SANDBOX_RUNTIME = os.environ.get("GRADER_SANDBOX_RUNTIME") or None
        # Labels this process's containers, so a restarted worker removes only its own orphans.
        self.GRADER_WORKER_NAME = os.environ.get("GRADER_WORKER_NAME") or socket.gethostname()
        # Assessments: folders searched for <slug>/assessment.yaml.
        self.GRADER_ASSESSMENTS_PATH = os.environ.get("GRADER_ASSESSMENTS_PATH", str(ROOT / "assessments"))
        self.GRADER_WORKDIR = os.environ.get("GRADER_WORKDIR", str(instance / "work"))
        # Recovery: when a submission counts as stuck, and how often to retry it.
        self.GRADER_STUCK_AFTER_S = _int("GRADER_STUCK_AFTER_S", soft + 120)
        self.GRADER_MAX_ATTEMPTS = _int("GRADER_MAX_ATTEMPTS", 3)
        # Outages of ours (package index, DNS, TLS, the Docker engine): retried this many times, waiting
        # base, 2 x base, 4 x base... seconds, then the submission ends failed with code "infrastructure".
        self.GRADER_INFRA_RETRIES = _int("GRADER_INFRA_RETRIES", 3)
        self.GRADER_INFRA_RETRY_BASE_S = float(os.environ.get("GRADER_INFRA_RETRY_BASE_S", 30))
        # Web sessions: HttpOnly, SameSite=Lax, Secure when served over TLS (production), 8 h at most.
        self.SESSION_COOKIE_SECURE = _bool("GRADER_SECURE_COOKIES", False)
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.PERMANENT_SESSION_LIFETIME = _int("GRADER_SESSION_HOURS", 8) * 3600
        self.WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
        # Sign-in attempts per client address and per e-mail (Flask-Limiter syntax); memory:// or redis://.
        self.GRADER_LOGIN_LIMIT = os.environ.get("GRADER_LOGIN_LIMIT", "10 per minute")
        self.RATELIMIT_STORAGE_URI = os.environ.get("GRADER_RATELIMIT_STORAGE", "memory://")
        self.RATELIMIT_HEADERS_ENABLED = False
        # Front-end packages installed from the npm registry by `make setup`.
        self.GRADER_ASSETS_DIR = os.environ.get("GRADER_ASSETS_DIR", str(ROOT / "grader" / "web" / "assets" / "node_modules"))
        # Where invitation links point (the address candidates reach); empty: the request's own host.
        self.GRADER_PUBLIC_URL = os.environ.get("GRADER_PUBLIC_URL", "").rstrip("/")


class DevelopmentConfig(Config):
    """Local use and `make demo`: local directories may be graded."""

    def __init__(self) -> None:
        super().__init__()
        self.GRADER_ALLOW_LOCAL_REPOS = _bool("GRADER_ALLOW_LOCAL_REPOS", True)


class TestingConfig(Config):
    """The test suite: local repos and loopback git servers allowed."""

    TESTING = True

    def __init__(self) -> None:
        super().__init__()
        self.GRADER_ALLOW_LOCAL_REPOS = _bool("GRADER_ALLOW_LOCAL_REPOS", True)


class ProductionConfig(Config):
    """Deployed service: a real secret and a real database are required."""

    def __init__(self) -> None:
        super().__init__()
        for name in ("SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL"):
            if not os.environ.get(name):
                raise RuntimeError(f"{name} must be set in production")
        # Behind TLS in production: cookies only over HTTPS unless explicitly turned off.
        self.SESSION_COOKIE_SECURE = _bool("GRADER_SECURE_COOKIES", True)


CONFIGS = {"development": DevelopmentConfig, "testing": TestingConfig, "production": ProductionConfig}


def from_environment() -> Config:
    """Pick the config class named by GRADER_ENV (default: development)."""
    name = os.environ.get("GRADER_ENV", "development")
    try:
        return CONFIGS[name]()
    except KeyError:
        raise RuntimeError(f"GRADER_ENV must be one of {sorted(CONFIGS)}, not {name!r}") from None
