"""Real servers for tests: git daemon, Redis, PostgreSQL, the API and a Celery worker.

Each starts a real process on loopback with a free port and stops it afterwards.
A missing binary is an error with the install command, never a silent skip:
`make test` installs them on a fresh machine.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listened on 127.0.0.1:{port} within {timeout} s")


def require_binary(path: str) -> str:
    found = shutil.which(path) or (path if Path(path).exists() else None)
    if not found:
        raise RuntimeError(f"{path} is not installed; run `make setup` (it installs the test services)")
    return found


def stop(proc: subprocess.Popen, timeout: float = 15) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class GitServer:
    """A git daemon on loopback serving bare repositories made from folders."""

    def __init__(self, base: Path, port: int) -> None:
        self.base = base
        self.port = port

    def publish(self, source: Path, name: str, *, extra_commits: dict[str, dict[str, str]] | None = None) -> str:
        """Commit ``source`` as branch main of a new bare repo and return its git:// URL.

        ``extra_commits`` adds branches: {branch: {relative path: content}}.
        """
        work = Path(tempfile.mkdtemp(prefix="gitsrc-"))
        try:
            shutil.copytree(source, work, symlinks=True, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            env = {**os.environ, "GIT_AUTHOR_NAME": "Candidate", "GIT_AUTHOR_EMAIL": "c@example.com",
                   "GIT_COMMITTER_NAME": "Candidate", "GIT_COMMITTER_EMAIL": "c@example.com"}

            def git(*args: str) -> str:
                return subprocess.run(["git", *args], cwd=work, env=env, check=True, capture_output=True, text=True).stdout

            git("init", "-q", "-b", "main")
            git("add", "-A")
            git("commit", "-q", "-m", "submission")
            for branch, files in (extra_commits or {}).items():
                git("checkout", "-q", "-b", branch, "main")
                for rel, content in files.items():
                    (work / rel).parent.mkdir(parents=True, exist_ok=True)
                    (work / rel).write_text(content)
                git("add", "-A")
                git("commit", "-q", "-m", branch)
                git("checkout", "-q", "main")
            bare = self.base / f"{name}.git"
            shutil.rmtree(bare, ignore_errors=True)
            subprocess.run(["git", "clone", "-q", "--bare", str(work), str(bare)], check=True, capture_output=True)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return f"git://127.0.0.1:{self.port}/{name}.git"

    def head(self, name: str, ref: str = "main") -> str:
        return subprocess.run(
            ["git", "rev-parse", ref], cwd=self.base / f"{name}.git", check=True, capture_output=True, text=True
        ).stdout.strip()


@contextmanager
def git_daemon():
    require_binary("git")
    base = Path(tempfile.mkdtemp(prefix="gitd-"))
    port = free_port()
    proc = subprocess.Popen(
        ["git", "daemon", "--reuseaddr", "--export-all", f"--base-path={base}", "--listen=127.0.0.1",
         f"--port={port}", "--informative-errors", str(base)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, proc=proc)
        yield GitServer(base, port)
    finally:
        stop(proc)
        shutil.rmtree(base, ignore_errors=True)


@contextmanager
def redis_server():
    binary = require_binary("redis-server")
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="redis-")
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", workdir],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, proc=proc)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop(proc)
        shutil.rmtree(workdir, ignore_errors=True)


def _as_postgres(argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run(prefix + argv, check=True, capture_output=True, text=True, **kwargs)


@contextmanager
def postgres_server():
    """A throwaway PostgreSQL cluster (initdb in a temp dir) on a free loopback port."""
    require_binary(str(PG_BIN / "initdb"))
    data = Path(tempfile.mkdtemp(prefix="pg-"))
    port = free_port()
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
    _as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"])
    proc = subprocess.Popen(
        (["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else [])
        + [str(PG_BIN / "postgres"), "-D", str(data), "-p", str(port), "-h", "127.0.0.1", "-k", str(data),
           "-c", "fsync=off", "-c", "max_connections=100"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, proc=proc)
        for _ in range(50):
            ready = subprocess.run([str(PG_BIN / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)], capture_output=True)
            if ready.returncode == 0:
                break
            time.sleep(0.2)
        yield PostgresServer(port)
    finally:
        stop(proc)
        shutil.rmtree(data, ignore_errors=True)


class PostgresServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self._n = 0

    def create_database(self) -> str:
        """A fresh database; its SQLAlchemy URL."""
        self._n += 1
        name = f"grader_{os.getpid()}_{self._n}"
        subprocess.run([str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name],
                       check=True, capture_output=True)
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"


def service_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_"))}
    env.update(extra)
    return env


@contextmanager
def api_server(env: dict[str, str], port: int | None = None):
    """The real API and pages under gunicorn on loopback."""
    port = port or free_port()
    log = tempfile.NamedTemporaryFile(prefix="api-", suffix=".log", delete=False)
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:grader.gunicorn_conf", "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "grader:create_app()"],
        cwd=ROOT, env=service_env(env), stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, proc=proc)
        url = f"http://127.0.0.1:{port}"
        httpx.get(f"{url}/healthz", timeout=10).raise_for_status()
        yield url
    finally:
        stop(proc)
        log.close()


@contextmanager
def celery_worker(env: dict[str, str], *, beat: bool = False, queues: str = "grading,grading-timed",
                  concurrency: int = 2, name: str | None = None):
    """A real Celery worker process with the production pool (prefork), consuming ``queues``."""
    log_path = Path(tempfile.mkdtemp(prefix="celery-")) / "worker.log"
    argv = [sys.executable, "-m", "celery", "-A", "workers.worker", "worker", "--loglevel", "INFO",
            "--pool", "prefork", "--concurrency", str(concurrency), "--without-gossip", "--without-mingle",
            "-Q", queues]
    if name:
        argv += ["-n", name]
    if beat:
        argv += ["-B", "-s", str(log_path.parent / "beat-schedule")]
    with open(log_path, "w") as log:
        proc = subprocess.Popen(argv, cwd=ROOT, env=service_env(env), stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while "ready." not in log_path.read_text():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("celery worker did not start:\n" + log_path.read_text()[-3000:])
            time.sleep(0.2)
        yield WorkerProcess(proc, log_path)
    finally:
        stop(proc, timeout=30)


class WorkerProcess:
    def __init__(self, proc: subprocess.Popen, log_path: Path) -> None:
        self.proc = proc
        self.log_path = log_path

    def log(self) -> str:
        return self.log_path.read_text()
