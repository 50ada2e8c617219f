"""Wall seconds for gradings of one assessment, split by stage; prints figures, asserts nothing.

    python bench/grading.py --assessment saas-api --repo tests/fixtures/saas-api/reference --runs 3

The first run warms the dependency cache (and is reported as such); the figures
that follow are warm.  Each run is a full in-process grading in real Docker
(`grader grade DIR --json`), so it includes clone, install-cache lookup, the
app and tester containers, the quality checks and scoring.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import grader_env  # noqa: E402

STAGES = ("clone", "install", "test", "score", "total")


def grade(env: dict[str, str], assessment: str, repo: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "grader.cli", "grade", str(repo), "--assessment", assessment, "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    if not proc.stdout.strip():
        raise SystemExit(f"grading failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assessment", default="saas-api")
    parser.add_argument("--repo", type=Path, default=ROOT / "tests" / "fixtures" / "saas-api" / "reference")
    parser.add_argument("--runs", type=int, default=3, help="warm runs after the warming run")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-grading-"))
    env = {**os.environ, **grader_env(tmp, GRADER_ENV="development")}
    print(f"== {args.assessment}: grading {args.repo.relative_to(ROOT) if args.repo.is_relative_to(ROOT) else args.repo}")
    print(f"{'run':<8}" + "".join(f"{s:>9}" for s in STAGES) + f"{'score':>9}")
    rows = []
    for index in range(args.runs + 1):
        report = grade(env, args.assessment, args.repo)
        timings = report["timings"]
        name = "warm-up" if index == 0 else f"warm{index}"
        print(f"{name:<8}" + "".join(f"{(timings.get(s) or 0):>9.1f}" for s in STAGES) + f"{report['score']['total']:>9g}")
        if index:
            rows.append(timings)
    if rows:
        median = {s: statistics.median(r.get(s) or 0 for r in rows) for s in STAGES}
        print(f"{'median':<8}" + "".join(f"{median[s]:>9.1f}" for s in STAGES))
        print(f"warm total median {median['total']:.1f} s over {len(rows)} runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
