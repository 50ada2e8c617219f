"""`make demo`: run the whole product on this machine, grade real submissions, and leave it running.

Embedded mode (SQLite database, Celery broker in a SQLite file): the web app and
API under gunicorn, a Celery worker, and a git daemon on loopback serving sample
candidate repositories. A recruiter invites each demo candidate through the API;
each candidate submits through their invitation link (the portal's own form);
every submission goes through the real pipeline (clone → Docker install → app +
hidden tests in containers → score → verdict). Then the app stays up with the
results on the dashboard until Ctrl-C.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import servers  # noqa: E402  (the same launchers the tests use)
from tests.factories import build_repo  # noqa: E402  (the same fixture overlays the tests use)

DEMO_DIR = ROOT / ".demo"
FIXTURES = ROOT / "tests" / "fixtures"
SAAS = FIXTURES / "saas-api"
PERF = FIXTURES / "perf-challenge"
STARTER = ROOT / "assessments" / "perf-challenge" / "starter"
HANDOUT = DEMO_DIR / "perf-challenge-handout"  # made by `grader assessments export` below
PASSWORD = "demo-password-2026"
STAFF = {"admin": "admin@demo.test", "recruiter": "recruiter@demo.test", "interviewer": "interviewer@demo.test"}

# (assessment, candidate, layers of the repository (overlays, see build_repo), what it shows)
DEMO_SUBMISSIONS = [
    ("saas-api", "Ada Reference", [SAAS / "reference"], "a correct multi-tenant API"),
    ("saas-api", "Brian Leaky", [SAAS / "reference", SAAS / "variants" / "object-no-tenant-check"],
     "the same API with a tenant check missing on single objects (critical findings)"),
    ("saas-api", "Carla Unlimited", [SAAS / "reference", SAAS / "variants" / "no-rate-limit"], "no rate limiting"),
    ("perf-challenge", "Dan Starter", [HANDOUT], "the slow starter exactly as candidates receive it"),
    ("perf-challenge", "Eve Optimised", [STARTER, PERF / "reference"], "an optimised solution, measured against the starter"),
]


def _port(preferred: int = 8080) -> int:
    with socket.socket() as sock:
        return preferred if sock.connect_ex(("127.0.0.1", preferred)) != 0 else servers.free_port()


def _portal_submit(link: str, repo: str) -> None:
    """Submit as the candidate does: open the link, fill in the form (with its CSRF token), post it."""
    with httpx.Client(timeout=30, follow_redirects=False) as browser:
        page = browser.get(link)
        page.raise_for_status()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
        answer = browser.post(f"{link}/submissions", data={"csrf_token": token, "repo_url": repo, "ref": "main"})
        if answer.status_code not in (302, 303):
            raise RuntimeError(f"the portal refused the submission ({answer.status_code})")


def main() -> int:
    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    DEMO_DIR.mkdir()
    env = {
        **os.environ,
        "GRADER_ENV": "development",
        "GRADER_INSTANCE_DIR": str(DEMO_DIR / "instance"),
        "GRADER_ASSESSMENTS_PATH": os.pathsep.join([str(ROOT / "assessments"), str(FIXTURES / "assessments")]),
        "GRADER_CLONE_ALLOWED_HOSTS": "127.0.0.1",
        "GRADER_WORKER_NAME": "demo-worker",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or os.urandom(24).hex(),
    }
    grader = [sys.executable, "-m", "grader.cli"]

    def cli(*args: str, **extra: str) -> str:
        return subprocess.run([*grader, *args], cwd=ROOT, env={**env, **extra}, check=True, capture_output=True,
                              text=True).stdout

    print("== set-up: database, staff accounts, git server, web app + API, worker (embedded broker)", flush=True)
    cli("db", "upgrade")
    for role, email in STAFF.items():
        cli("users", "create", "--role", role, "--name", f"Demo {role.title()}", email, GRADER_USER_PASSWORD=PASSWORD)
    integration_key = cli("keys", "create", "--role", "recruiter", "--label", "demo ATS integration").strip()
    print(cli("assessments", "export", "perf-challenge", str(HANDOUT)).strip(), flush=True)
    port = _port()
    with servers.git_daemon() as git, servers.api_server(env, port) as url, servers.celery_worker(env):
        api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {integration_key}"}, timeout=30)
        print(f"   web app {url}   git daemon git://127.0.0.1:{git.port}/", flush=True)
        links = []
        for number, (assessment, name, layers, what) in enumerate(DEMO_SUBMISSIONS):
            repo = git.publish(build_repo(DEMO_DIR / f"repo-{number}", *layers), f"{assessment}-{number}")
            email = name.split()[0].lower() + "@candidates.test"
            invitation = api.post("/api/v1/invitations", json={"assessment": assessment, "candidate_name": name,
                                                                "candidate_email": email})
            invitation.raise_for_status()
            link = invitation.json()["url"]
            _portal_submit(link, repo)
            links.append((name, link))
            print(f"== {name} invited to {assessment} and submitted: {what}", flush=True)
        _wait_all(api, len(DEMO_SUBMISSIONS))
        print(f"\nThe grader is running at {url}  (Ctrl-C stops it)\n")
        for role, email in STAFF.items():
            print(f"   {role:<12} {email:<24} password {PASSWORD}")
        print("\n   candidates open their invitation links, e.g.")
        for name, link in links[:2]:
            print(f"   {name:<16} {link}")
        print(f"\nEverything is kept in {DEMO_DIR / 'instance'} (SQLite).", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("\nstopping", flush=True)
    return 0


def _wait_all(api: httpx.Client, count: int, timeout: float = 1800) -> None:
    """Print each submission's verdict and score as it finishes."""
    deadline, seen = time.monotonic() + timeout, set()
    while time.monotonic() < deadline and len(seen) < count:
        for item in api.get("/api/v1/submissions", params={"per_page": 100}).json()["items"]:
            if item["status"] in ("completed", "failed") and item["id"] not in seen:
                seen.add(item["id"])
                verdict = (item.get("verdict") or {}).get("label", "-")
                score = item["score"]["total"] if item.get("score") else "-"
                reason = f" ({item['failure_reason']})" if item.get("failure_reason") else ""
                print(f"   graded {item['candidate']['name']:<16} {item['assessment']:<15} {verdict:<18} {score}{reason}",
                      flush=True)
        time.sleep(2)


if __name__ == "__main__":
    sys.exit(main())
