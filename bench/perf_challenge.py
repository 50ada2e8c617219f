"""perf-challenge gradings: scores, figures, stability and cost; prints, asserts nothing.

    python bench/perf_challenge.py [--repeat 3] [--only reference,starter]

Grades the starter, the reference solution `--repeat` times (stability: the
spread of its scores) and every seeded-defect variant, one at a time, each a full
in-process grading in real Docker (`grader grade DIR --json`).  Prints a table of
fixture -> score, statements per request and p95 speed-up per endpoint, then
the per-stage wall seconds of every grading.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import grader_env  # noqa: E402
from tests.factories import build_repo  # noqa: E402

ASSESSMENT = ROOT / "assessments" / "perf-challenge"
FIXTURES = ROOT / "tests" / "fixtures" / "perf-challenge"
ENDPOINTS = ("books-list", "book-detail", "author", "orders", "top-books")


def fixtures(tmp: Path, repeat: int) -> list[tuple[str, Path]]:
    """(name, folder) per grading: the starter, the reference (an overlay on the starter), each
    variant and mid-band fixture (overlays on the reference), materialised under ``tmp``."""
    starter = ASSESSMENT / "starter"
    reference = build_repo(tmp / "reference", starter, FIXTURES / "reference")
    found = [("starter", starter)] + [(f"reference#{i + 1}", reference) for i in range(repeat)]
    for folder in ("variants", "mid-band"):
        for variant in sorted((FIXTURES / folder).iterdir()):
            found.append((variant.name, build_repo(tmp / variant.name, starter, FIXTURES / "reference", variant)))
    return found


def grade(env: dict[str, str], repo: Path) -> tuple[dict, float]:
    began = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "grader.cli", "grade", str(repo), "--assessment", "perf-challenge", "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    if not proc.stdout.strip():
        raise SystemExit(f"grading {repo} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout), time.monotonic() - began


def _fmt(value, spec: str = "g") -> str:
    return "-" if value is None else format(value, spec)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="gradings of the reference (stability)")
    parser.add_argument("--only", default="", help="comma-separated fixture names (starter, reference, a variant)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-perf-"))
    env = {**os.environ, **grader_env(tmp, GRADER_ENV="development")}
    wanted = {w for w in args.only.split(",") if w}
    results = []
    for name, repo in fixtures(tmp, args.repeat):
        if wanted and name.split("#")[0] not in wanted:
            continue
        body, wall = grade(env, repo)
        results.append((name, body, wall))
        not_passed = sorted(c["id"] for c in body["checks"] if c["outcome"] != "passed")
        print(f"graded {name:<22} {body['status']:<10} score {_fmt((body.get('score') or {}).get('total')):>6} "
              f"in {wall:5.0f} s; not passed: {', '.join(not_passed) or 'none'}", flush=True)

    print("\n== statements per request (large probe; starter -> candidate) and p95 speed-up under load")
    print(f"{'fixture':<22}{'score':>7}  " + "".join(f"{e:>22}" for e in ENDPOINTS) + f"{'rps x':>8}")
    for name, body, _ in results:
        table = (body.get("signals") or {}).get("performance") or {}
        cells = []
        for endpoint in ENDPOINTS:
            row = (table.get("endpoints") or {}).get(endpoint) or {}
            before, after = row.get("starter") or {}, row.get("candidate") or {}
            cells.append(f"{_fmt(before.get('queries_large'))}->{_fmt(after.get('queries_large'))} "
                         f"{_fmt(row.get('p95_ratio'))}x")
        throughput = next((c for c in body["checks"] if c["id"] == "load-throughput"), {})
        ratio = ((throughput.get("evidence") or [{}])[0] or {}).get("ratio")
        print(f"{name:<22}{_fmt((body.get('score') or {}).get('total')):>7}  " + "".join(f"{c:>22}" for c in cells)
              + f"{_fmt(ratio):>8}")

    print("\n== p95 ms under load per endpoint (starter / candidate)")
    for name, body, _ in results:
        table = ((body.get("signals") or {}).get("performance") or {}).get("endpoints") or {}
        print(f"{name:<22}" + "".join(
            f"{e}: {_fmt((table.get(e) or {}).get('starter', {}).get('p95'), '.0f')}/"
            f"{_fmt((table.get(e) or {}).get('candidate', {}).get('p95'), '.0f')}  " for e in ENDPOINTS))

    print("\n== wall seconds per stage")
    stages: list[str] = []
    for _, body, _ in results:
        for key in ((body.get("run") or {}).get("stage_seconds") or {}):
            if key not in stages:
                stages.append(key)
    print(f"{'fixture':<22}" + "".join(f"{s.removeprefix('test.'):>18}" for s in stages))
    for name, body, _ in results:
        seconds = (body.get("run") or {}).get("stage_seconds") or {}
        print(f"{name:<22}" + "".join(f"{_fmt(seconds.get(s), '.1f'):>18}" for s in stages))

    scores = [body["score"]["total"] for name, body, _ in results if name.startswith("reference") and body.get("score")]
    if scores:
        print(f"\nreference: {len(scores)} gradings, scores {scores}, spread {max(scores) - min(scores):.2f} points")
    totals = [((body.get("run") or {}).get("stage_seconds") or {}).get("total") for _, body, _ in results]
    totals = [t for t in totals if t]
    if totals:
        print(f"grading wall time: median {statistics.median(totals):.0f} s, max {max(totals):.0f} s over {len(totals)} gradings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
