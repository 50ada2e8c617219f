"""Dashboard benchmark: prints figures, asserts nothing.

Seeds 1,000 graded saas-api submissions (about 45 check results each, some candidates
with several attempts, invitations without submissions, decisions) into a fresh
database, starts the real API under gunicorn, signs in as a recruiter and times
200 sequential GET /dashboard/?assessment=saas-api and 50 CSV exports; then, as an
interviewer, the evidence page of one submission (failed checks carry transcripts),
and, anonymously, a candidate's portal page.
The target is p95 <= 150 ms for the dashboard: a recruiter opens it many times a day,
and its query count must not grow with the number of candidates.

    python bench/dashboard.py                      # SQLite in a temp instance folder
    python bench/dashboard.py --postgres URL       # an empty PostgreSQL database
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import servers  # noqa: E402  (the same launchers the tests use)
from tests.conftest import grader_env  # noqa: E402

TARGET_P95_MS = 150.0
PASSWORD = "bench-recruiter-password"
OUTCOMES = ("passed",) * 8 + ("failed", "partial")
# What a failed black-box check carries: the last HTTP exchanges of its test.
TRANSCRIPT = [{"method": "GET", "path": f"/api/v1/projects/{n}", "request": None, "status": 200,
               "content_type": "application/json", "response": '{"id": %d, "name": "other tenant"}' % n, "ms": 3.1}
              for n in range(8)]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def seed(submissions: int, rng: random.Random) -> dict[str, int]:
    """Fill the database through the models (bulk inserts for the check results)."""
    from sqlalchemy import insert

    from grader.extensions import db
    from grader.models import CheckResult, Decision, GradingRun, Submission, SubmissionStatus
    from grader.models._base import utcnow
    from grader.services import catalog, invitations, reviews
    from grader.services.users import NewUser, create_user
    from grader.services.verdicts import CheckState, decide

    spec = catalog.spec_for("saas-api")
    row = catalog.row_for(spec)
    weights = {c.id: c.weight for c in spec.checks}
    per_category = {name: sum(c.weight for c in spec.checks if c.category == name) for name in spec.categories}
    start = utcnow() - timedelta(days=30)
    made, candidate, counts = 0, 0, {"candidates": 0, "invitations": 0, "decisions": 0, "checks": 0}
    while made < submissions:
        candidate += 1
        attempts = min(rng.choice((1, 1, 1, 2, 3)), submissions - made)
        email = f"candidate{candidate}@example.com"
        invitation = None
        if candidate % 3 == 0:
            issued = invitations.invite(invitations.NewInvitation(
                "saas-api", f"Candidate {candidate}", email, invitations.default_deadline(), 3))
            invitation = issued.invitation
            counts.setdefault("link", issued.token)
            counts["invitations"] += 1
        for _ in range(attempts):
            at = start + timedelta(minutes=made * 40)
            sub = Submission(assessment=row, candidate_name=f"Candidate {candidate}", candidate_email=email,
                             repo_url=f"https://git.example.com/c{candidate}.git", ref="main", commit_sha="b" * 40,
                             attempts=1, invitation_id=invitation.id if invitation else None, created_at=at)
            sub.set_status(SubmissionStatus.COMPLETED, "graded")
            sub.completed_at = at + timedelta(minutes=4)
            outcomes = {c.id: rng.choice(OUTCOMES) if rng.random() < 0.3 else "passed" for c in spec.checks}
            checks, categories, total = [], {}, 0.0
            for check in spec.checks:
                share = spec.categories[check.category].points * weights[check.id] / per_category[check.category]
                points = {"passed": share, "partial": share / 2}.get(outcomes[check.id], 0.0)
                total += points
                cat = categories.setdefault(check.category, {"score": 0.0, "max": spec.categories[check.category].points})
                cat["score"] = round(cat["score"] + points, 2)
                checks.append({"check_id": check.id, "title": check.title, "contract": check.contract,
                               "category": check.category, "weight": check.weight, "max_points": round(share, 4),
                               "points": round(points, 4), "outcome": outcomes[check.id], "duration_s": 0.2,
                               "message": "" if outcomes[check.id] == "passed" else "expected 404, got 200",
                               "output": "", "evidence": [] if outcomes[check.id] == "passed" else [{"transcript": TRANSCRIPT}]})
            verdict = decide(spec, [CheckState(k, v) for k, v in outcomes.items()], total, 100.0)
            run = GradingRun(submission=sub, attempt=1, status="completed", score_total=round(total, 2),
                             adjusted_total=round(total, 2), score_max=100.0, categories=categories,
                             verdict=verdict.id, critical_findings=[f.to_dict() for f in verdict.critical_findings],
                             started_at=at, finished_at=at + timedelta(minutes=4))
            db.session.add_all([sub, run])
            db.session.flush()
            sub.result_run_id = run.id
            db.session.execute(insert(CheckResult), [{**c, "run_id": run.id} for c in checks])
            counts["checks"] += len(checks)
            counts["sample"] = sub.public_id
            made += 1
        if candidate % 5 == 0:
            db.session.add(Decision(assessment_slug="saas-api", candidate_email=email,
                                    decision=rng.choice(("advance", "hold", "reject")), note="bench",
                                    author_label="bench@example.com"))
            counts["decisions"] += 1
        if candidate % 50 == 0:
            db.session.commit()
    db.session.commit()
    for n in range(submissions // 10):  # invited, nothing submitted yet
        invitations.invite(invitations.NewInvitation("saas-api", f"Invitee {n}", f"invitee{n}@example.com",
                                                     invitations.default_deadline(), 3))
        counts["invitations"] += 1
    reviews.decide_candidate("saas-api", "invitee0@example.com", "hold", "waiting", reviews.Author(label="bench"))
    create_user(NewUser("recruiter@example.com", "recruiter", PASSWORD, "Bench Recruiter"))
    create_user(NewUser("interviewer@example.com", "interviewer", PASSWORD, "Bench Interviewer"))
    counts["candidates"] = candidate + submissions // 10
    return counts


def sign_in(url: str, email: str = "recruiter@example.com") -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=30)
    page = client.get("/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.text[:500]
    return client


def timed(client: httpx.Client, path: str, count: int) -> tuple[list[float], int]:
    times, size = [], 0
    for _ in range(count):
        began = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - began) * 1000)
        response.raise_for_status()
        size = len(response.content)
    return times, size


def report(label: str, times: list[float], size: int, target: float | None = None) -> None:
    line = (f"{label:<34} n={len(times):<4} p50={percentile(times, 50):7.1f} ms  p95={percentile(times, 95):7.1f} ms  "
            f"p99={percentile(times, 99):7.1f} ms  mean={statistics.fmean(times):7.1f} ms  body={size / 1024:.0f} KiB")
    if target is not None:
        line += f"  target p95 <= {target:.0f} ms: {'met' if percentile(times, 95) <= target else 'NOT MET'}"
    print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--submissions", type=int, default=1000)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--exports", type=int, default=50)
    parser.add_argument("--postgres", metavar="URL", help="an empty PostgreSQL database instead of SQLite")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
    env = grader_env(tmp, GRADER_LOGIN_LIMIT="1000 per minute")
    if args.postgres:
        env["DATABASE_URL"] = args.postgres
    # The server runs as deployed: gunicorn with grader.gunicorn_conf (gc.freeze() once the app is loaded).
    os.environ.update(env)
    from flask_migrate import upgrade

    from grader import create_app

    app = create_app()
    began = time.monotonic()
    with app.app_context():
        upgrade()
        counts = seed(args.submissions, random.Random(7))
    print(f"seeded {args.submissions} submissions, {counts['candidates']} candidates, {counts['checks']} check results, "
          f"{counts['invitations']} invitations, {counts['decisions']} decisions "
          f"({'PostgreSQL' if args.postgres else 'SQLite'}) in {time.monotonic() - began:.1f} s")

    with servers.api_server(env) as url:
        client = sign_in(url)
        timed(client, "/dashboard/?assessment=saas-api", 5)  # warm both gunicorn workers' caches
        pages, page_size = timed(client, "/dashboard/?assessment=saas-api", args.pages)
        exports, csv_size = timed(client, "/dashboard/export.csv?assessment=saas-api", args.exports)
        filtered, filtered_size = timed(client, "/dashboard/?assessment=saas-api&verdict=critical&sort=score&order=asc", 50)
        client.close()
        interviewer = sign_in(url, "interviewer@example.com")
        timed(interviewer, f"/submissions/{counts['sample']}", 5)
        evidence, evidence_size = timed(interviewer, f"/submissions/{counts['sample']}", 100)
        interviewer.close()
        with httpx.Client(base_url=url, timeout=30) as candidate:
            timed(candidate, f"/i/{counts['link']}", 5)
            portal, portal_size = timed(candidate, f"/i/{counts['link']}", 100)
    report("GET /dashboard/?assessment=saas-api", pages, page_size, TARGET_P95_MS)
    report("GET /dashboard/export.csv", exports, csv_size)
    report("GET /dashboard/ filtered + sorted", filtered, filtered_size)
    report("GET /submissions/<id> (interviewer)", evidence, evidence_size)
    report("GET /i/<link> (candidate portal)", portal, portal_size)


if __name__ == "__main__":
    main()
