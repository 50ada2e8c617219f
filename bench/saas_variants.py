"""Grade the saas-api reference, the other correct solutions and every seeded-defect variant; print the table.

    python bench/saas_variants.py [--parallel 2] [NAME ...]

Prints, per fixture: the checks that did not pass, the score and the wall
seconds of its grading (real Docker, in-process pipeline).  Asserts nothing;
`tests/assessments/test_saas_api.py` holds the assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import grader_env  # noqa: E402
from tests.factories import build_repo  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "saas-api"
GRADER_SIDE = {"passwords-hashed-at-rest", "own-tests-pass", "lint-clean"}
CORRECT = ("reference", "alternative", "jwt-extended", "smorest")  # complete solutions: no failed check expected


def fixtures(names: list[str]) -> list[tuple[str, list[Path]]]:
    found = [(name, [FIXTURES / name]) for name in CORRECT]
    for variant in sorted((FIXTURES / "variants").iterdir()):
        if (variant / "variant.yaml").is_file():
            found.append((variant.name, [FIXTURES / "reference", variant]))
    return [f for f in found if not names or f[0] in names]


def grade(name: str, layers: list[Path], workdir: Path) -> tuple[str, dict, float]:
    repo = build_repo(workdir / name, *layers)
    env = {**os.environ, **grader_env(workdir / f"instance-{name}", GRADER_ENV="development")}
    began = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "grader.cli", "grade", str(repo), "--assessment", "saas-api", "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    wall = time.monotonic() - began
    if not proc.stdout.strip():
        return name, {"status": "error", "failure_reason": proc.stderr[-500:], "checks": [], "score": None}, wall
    return name, json.loads(proc.stdout), wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("names", nargs="*")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="saas-variants-"))
    with ThreadPoolExecutor(max_workers=args.parallel) as pool:
        results = list(pool.map(lambda f: grade(f[0], f[1], workdir), fixtures(args.names)))
    print(f"{'fixture':<28}{'score':>7}{'wall s':>8}  checks not passed")
    for name, report, wall in results:
        # "*" marks a hidden-suite failure that came without a transcript (there should be none)
        failed = sorted(
            c["id"] + ("*" if c["id"] not in GRADER_SIDE and not c.get("evidence") else "")
            for c in report["checks"] if c["outcome"] != "passed"
        )
        score = report["score"]["total"] if report.get("score") else "-"
        print(f"{name:<28}{score:>7}{wall:>8.1f}  {', '.join(failed) or '(none)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
