"""`make demo`: run the whole service on this machine and grade real submissions.

Embedded mode (SQLite database, Celery broker in a SQLite file): the API under
gunicorn, a Celery worker, and a git daemon on loopback serving sample
candidate repositories.  Each submission goes through the real pipeline
(clone → Docker install → app + hidden tests in containers → score) and its
report is printed, as `grader grade --api` shows it to a user.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import servers  # noqa: E402  (the same launchers the tests use)

DEMO_DIR = ROOT / ".demo"
SUBMISSIONS = ROOT / "tests" / "fixtures"

SAAS = SUBMISSIONS / "saas-api"
PERF = SUBMISSIONS / "perf-challenge"
HANDOUT = DEMO_DIR / "perf-challenge-handout"  # made by `grader assessments export` below

# (assessment, layers of the candidate's repository (later ones overwrite), what it shows)
DEMO_SUBMISSIONS = [
    ("notes-api", [SUBMISSIONS / "submissions" / "notes-api" / "buggy"], "the pipeline fixture, with two bugs"),
    ("saas-api", [SAAS / "reference"], "a correct multi-tenant API"),
    ("saas-api", [SAAS / "reference", SAAS / "variants" / "object-no-tenant-check"],
     "the same API with a tenant check missing on single objects"),
    ("perf-challenge", [HANDOUT], "the slow starter exactly as candidates receive it"),
    ("perf-challenge", [PERF / "reference"], "an optimised solution, measured against the starter"),
]


def build_repo(layers: list[Path], dest: Path) -> Path:
    for layer in layers:
        shutil.copytree(layer, dest, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("variant.yaml", "__pycache__", ".pytest_cache", ".git"))
    return dest


def main() -> int:
    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    DEMO_DIR.mkdir()
    env = {
        **os.environ,
        "GRADER_ENV": "development",
        "GRADER_INSTANCE_DIR": str(DEMO_DIR / "instance"),
        "GRADER_ASSESSMENTS_PATH": os.pathsep.join([str(ROOT / "assessments"), str(SUBMISSIONS / "assessments")]),
        "GRADER_CLONE_ALLOWED_HOSTS": "127.0.0.1",
        "GRADER_WORKER_NAME": "demo-worker",
    }
    grader = [sys.executable, "-m", "grader.cli"]

    def cli(*args: str) -> str:
        return subprocess.run([*grader, *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout

    print("== set-up: database, keys, git server, API, worker (embedded broker)", flush=True)
    cli("db", "upgrade")
    candidate_key = cli("keys", "create", "--role", "candidate", "--label", "demo portal").strip()
    interviewer_key = cli("keys", "create", "--role", "interviewer", "--label", "demo").strip()
    print(cli("assessments", "export", "perf-challenge", str(HANDOUT)).strip(), flush=True)
    with servers.git_daemon() as git, servers.api_server(env) as url, servers.celery_worker(env):
        print(f"   API {url}   git daemon git://127.0.0.1:{git.port}/", flush=True)
        for number, (assessment, layers, what) in enumerate(DEMO_SUBMISSIONS):
            folder = build_repo(layers, DEMO_DIR / f"repo-{number}")
            repo = git.publish(folder, f"{assessment}-{number}")
            print(f"\n== {assessment}: {what} ({repo})", flush=True)
            # Submit as the candidate portal would, then read the report as an interviewer.
            subprocess.run(
                [*grader, "grade", repo, "--assessment", assessment, "--ref", "main",
                 "--api", url, "--key", interviewer_key, "--name", "Demo Candidate", "--email", "demo@example.com"],
                cwd=ROOT, env=env, check=False,
            )
        print(f"\nReports stay in {DEMO_DIR / 'instance'} (SQLite). Keys used: candidate {candidate_key[:14]}…, interviewer {interviewer_key[:14]}…")
    return 0


if __name__ == "__main__":
    sys.exit(main())
