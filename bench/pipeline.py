"""Pipeline benchmark: prints figures, asserts nothing.

On the production shape (gunicorn API, Celery worker on Redis, PostgreSQL),
with the small `notes-api` fixture submission:
- seconds from POST to `completed` with a cold and with a warm dependency cache;
- seconds inside the sandbox running the app and the hidden tests (stage "test");
- the overhead between them (everything that is not the sandboxed test run);
- p50/p95 of GET /api/v1/submissions/{id} with 10,000 submissions stored.

Run with `make bench` (or `python bench/pipeline.py --warm-runs 5`).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import servers  # noqa: E402  (the same launchers the tests use)
from tests.conftest import TEST_ASSESSMENTS, grader_env  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "submissions" / "notes-api" / "good"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def grade_once(url: str, repo: str, key: str) -> dict:
    headers = {"Authorization": f"Bearer {key}"}
    body = {"assessment": "notes-api", "candidate_name": "Bench", "candidate_email": "bench@example.com",
            "repo_url": repo, "ref": "main"}
    began = time.monotonic()
    public_id = httpx.post(f"{url}/api/v1/submissions", json=body, headers=headers, timeout=30).json()["id"]
    while True:
        status = httpx.get(f"{url}/api/v1/submissions/{public_id}", headers=headers, timeout=30).json()["status"]
        if status in ("completed", "failed"):
            break
        time.sleep(0.05)
    wall = time.monotonic() - began
    report = httpx.get(f"{url}/api/v1/submissions/{public_id}/report", headers=headers, timeout=30).json()
    timings = report["timings"]
    return {"wall": wall, "status": report["status"], "cache_hit": report["run"]["dependency_cache_hit"], **timings}


def drop_dependency_cache() -> None:
    import docker

    client = docker.from_env()
    for volume in client.volumes.list(filters={"label": "grader.cache=deps"}):
        volume.remove(force=True)


def seed_submissions(database_url: str, count: int) -> list[str]:
    """Insert ``count`` completed submissions directly (fast), each with one run."""
    from sqlalchemy import create_engine, insert, select

    from grader.models import Assessment, GradingRun, StatusEvent, Submission
    from grader.models._base import utcnow
    from grader.models.submission import new_public_id

    engine = create_engine(database_url)
    now = utcnow()
    with engine.begin() as conn:
        assessment_id = conn.execute(select(Assessment.id).limit(1)).scalar_one()
        ids = [new_public_id() for _ in range(count)]
        rows = [
            {"public_id": pid, "assessment_id": assessment_id, "candidate_name": f"C{i}", "candidate_email": f"c{i}@x.io",
             "repo_url": "git://127.0.0.1/x.git", "ref": "main", "status": "completed", "attempts": 1,
             "created_at": now, "updated_at": now, "completed_at": now}
            for i, pid in enumerate(ids)
        ]
        conn.execute(insert(Submission), rows)
        sub_ids = conn.execute(select(Submission.id).order_by(Submission.id.desc()).limit(count)).scalars().all()
        conn.execute(insert(GradingRun), [
            {"submission_id": sid, "attempt": 1, "status": "completed", "score_total": 80.0, "score_max": 100.0,
             "categories": {"correctness": {"score": 80.0, "max": 100.0}}, "stage_seconds": {}, "logs": {},
             "started_at": now, "finished_at": now}
            for sid in sub_ids
        ])
        conn.execute(insert(StatusEvent), [{"submission_id": sid, "status": "completed", "at": now} for sid in sub_ids])
    engine.dispose()
    return ids


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm-runs", type=int, default=3)
    parser.add_argument("--stored", type=int, default=10_000)
    parser.add_argument("--gets", type=int, default=1000)
    args = parser.parse_args()

    import tempfile

    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    with servers.postgres_server() as pg, servers.redis_server() as redis_url, servers.git_daemon() as git:
        database_url = pg.create_database()
        env = grader_env(tmp, DATABASE_URL=database_url, CELERY_BROKER_URL=redis_url,
                         GRADER_ASSESSMENTS_PATH=str(TEST_ASSESSMENTS))
        full_env = servers.service_env(env)
        import subprocess

        def cli(*a: str) -> str:
            return subprocess.run([sys.executable, "-m", "grader.cli", *a], cwd=ROOT, env=full_env,
                                  check=True, capture_output=True, text=True).stdout.strip()

        cli("db", "upgrade")
        cli("images")
        key = cli("keys", "create", "--role", "interviewer")
        repo = git.publish(FIXTURE, "bench")
        with servers.api_server(env) as url, servers.celery_worker(env):
            drop_dependency_cache()
            cold = grade_once(url, repo, key)
            warm = [grade_once(url, repo, key) for _ in range(args.warm_runs)]

            print("== pipeline: notes-api fixture, API + Celery(Redis) + PostgreSQL, 2-core machine")
            print(f"{'run':<8}{'POST→done s':>12}{'clone':>8}{'install':>9}{'test(sandbox)':>15}{'overhead s':>12}{'cache':>7}")
            for name, r in [("cold", cold)] + [(f"warm{i + 1}", r) for i, r in enumerate(warm)]:
                overhead = r["wall"] - (r["test"] or 0)
                print(f"{name:<8}{r['wall']:>12.2f}{r['clone']:>8.2f}{r['install']:>9.2f}{r['test']:>15.2f}"
                      f"{overhead:>12.2f}{'hit' if r['cache_hit'] else 'miss':>7}")
            warm_overhead = statistics.median(r["wall"] - r["test"] for r in warm)
            print(f"warm overhead (median of {len(warm)}): {warm_overhead:.2f} s   (target ≤ 5 s)")
            print(f"cold/warm POST→done ratio: {cold['wall'] / statistics.median(r['wall'] for r in warm):.2f}x")

            ids = seed_submissions(database_url, args.stored)
            headers = {"Authorization": f"Bearer {key}"}
            latencies = []
            with httpx.Client(base_url=url, headers=headers, timeout=30) as http:
                for i in range(args.gets):
                    began = time.perf_counter()
                    response = http.get(f"/api/v1/submissions/{ids[(i * 7919) % len(ids)]}")
                    latencies.append((time.perf_counter() - began) * 1000)
                    assert response.status_code == 200
            print(f"\n== GET /api/v1/submissions/{{id}} with {args.stored:,} stored, {args.gets} sequential requests")
            print(f"p50 {percentile(latencies, 50):.1f} ms   p95 {percentile(latencies, 95):.1f} ms   "
                  f"p99 {percentile(latencies, 99):.1f} ms   (target p95 ≤ 20 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
