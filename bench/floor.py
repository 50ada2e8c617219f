"""The grading floor's figures (issue 9): seconds per stage, verdict stability, gradings per hour.

    python bench/floor.py [--saas-runs 5] [--variant-runs 3] [--perf-repeat 3] [--skip-perf]
                          [--skip-saas] [--perf-cached-only]

Prints, asserts nothing; every grading is a full in-process grading in real Docker:
1. saas-api reference, warm: median of ``--saas-runs`` and each (sub-)stage's median;
2. every saas-api fixture ``--variant-runs`` times: the checks not passed, against the
   ones its variant.yaml expects (the correct solutions expect none);
3. one host's saas-api throughput: four gradings, two at a time (the functional
   worker's concurrency), as gradings per hour;
4. perf-challenge measured as before (the starter measured in every grading,
   ``GRADER_BASELINE_CACHE=0``): every fixture, the reference ``--perf-repeat``
   times, then the cached-baseline evidence (bench/baseline_evidence.py);
5. perf-challenge with the cached baseline (as deployed): the reference (the first
   grading on a new host fills the cache) and the starter, and perf gradings per hour
   on the timed queue (one at a time).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import baseline_evidence  # noqa: E402
import perf_challenge  # noqa: E402
import saas_variants  # noqa: E402
from grading import grade as grade_saas  # noqa: E402

from tests.conftest import grader_env  # noqa: E402

SAAS_REFERENCE = ROOT / "tests" / "fixtures" / "saas-api" / "reference"


def _stages(rows: list[dict]) -> None:
    names = [k for k in rows[0] if k != "total"] + ["total"]
    for name in names:
        values = [r.get(name) for r in rows if r.get(name) is not None]
        if values and not name.startswith("host.exclusive_"):
            print(f"  {name:<34}{statistics.median(values):>8.1f} s")


def saas_reference(runs: int) -> float:
    env = {**os.environ, **grader_env(Path(tempfile.mkdtemp(prefix="floor-saas-")), GRADER_ENV="development")}
    grade_saas(env, "saas-api", SAAS_REFERENCE)  # warms the dependency cache
    rows = [grade_saas(env, "saas-api", SAAS_REFERENCE)["run"]["stage_seconds"] for _ in range(runs)]
    totals = [r["total"] for r in rows]
    print(f"\n== saas-api reference, warm: {runs} gradings, totals {[round(t, 1) for t in totals]}")
    print(f"median {statistics.median(totals):.1f} s (before this change: 30.5 s on this machine); median per stage:")
    _stages(rows)
    return statistics.median(totals)


def saas_fixtures(runs: int) -> None:
    print(f"\n== saas-api fixtures, {runs} gradings each: checks not passed vs expected")
    workdir = Path(tempfile.mkdtemp(prefix="floor-variants-"))
    for name, layers in saas_variants.fixtures([]):
        spec = layers[-1] / "variant.yaml"
        expected = set(yaml.safe_load(spec.read_text())["expected_failures"]) if spec.is_file() else set()
        with ThreadPoolExecutor(max_workers=2) as pool:
            results = list(pool.map(lambda i, n=name, ls=layers: saas_variants.grade(f"{n}-{i}", ls, workdir), range(runs)))
        kept = 0
        for _, report, _ in results:
            failed = {c["id"] for c in report["checks"] if c["outcome"] != "passed"}
            kept += failed == expected
        odd = [sorted({c["id"] for c in r["checks"] if c["outcome"] != "passed"} ^ expected) for _, r, _ in results]
        print(f"  {name:<28} expected failures kept in {kept}/{runs}" + ("" if kept == runs else f"  (differences: {odd})"))


def saas_throughput(count: int = 4, parallel: int = 2) -> float:
    env = {**os.environ, **grader_env(Path(tempfile.mkdtemp(prefix="floor-rate-")), GRADER_ENV="development")}
    grade_saas(env, "saas-api", SAAS_REFERENCE)
    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        list(pool.map(lambda _: grade_saas(env, "saas-api", SAAS_REFERENCE), range(count)))
    wall = time.monotonic() - began
    per_hour = count / wall * 3600
    print(f"\n== one host, saas-api: {count} gradings {parallel} at a time in {wall:.0f} s: {per_hour:.0f} gradings/hour")
    return per_hour


def perf(repeat: int, cached_only: bool = False) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="floor-perf-"))
    if not cached_only:
        perf_fresh(tmp, repeat)
    perf_cached(tmp, repeat)


def perf_fresh(tmp: Path, repeat: int) -> None:
    from grader.services import catalog

    fresh_env = {**os.environ, **grader_env(tmp / "fresh", GRADER_ENV="development", GRADER_BASELINE_CACHE="0")}
    gradings = []
    print("\n== perf-challenge, the starter measured in every grading (the method before this change)")
    for name, repo in perf_challenge.fixtures(tmp, repeat):
        report, wall = perf_challenge.grade(fresh_env, repo)
        gradings.append((name, report))
        not_passed = sorted(c["id"] for c in report["checks"] if c["outcome"] != "passed")
        print(f"  {name:<22} score {report['score']['total']:>6.2f} in {wall:4.0f} s; not passed: {', '.join(not_passed) or 'none'}")
    baseline_evidence.print_evidence(catalog.load(ROOT / "assessments" / "perf-challenge"), gradings)


def perf_cached(tmp: Path, repeat: int) -> None:
    cached_env = {**os.environ, **grader_env(tmp / "cached", GRADER_ENV="development")}
    fixtures = dict(perf_challenge.fixtures(tmp / "cached-fixtures", 1))
    print("\n== perf-challenge with the cached starter baseline (as deployed)")
    rows: dict[str, list[dict]] = {"reference": [], "starter": []}
    for index, name in enumerate(["reference"] * (repeat + 1) + ["starter"] * 2):
        report, wall = perf_challenge.grade(cached_env, fixtures["reference#1" if name == "reference" else name])
        timing = report["signals"]["performance"]["timing"]
        source = (timing.get("baseline") or {}).get("source")
        print(f"  {name:<10} score {report['score']['total']:>6.2f} in {wall:4.0f} s; baseline {source}, "
              f"drift {(timing.get('baseline') or {}).get('drift')}, interfered {timing.get('interfered')}")
        if index:  # the first grading on a new host fills the cache: it is the fresh case above
            rows[name].append(report["run"]["stage_seconds"])
    for name, stages in rows.items():
        if stages:
            print(f"{name}: median {statistics.median(s['total'] for s in stages):.1f} s over {len(stages)} gradings; per stage:")
            _stages(stages)
    median = statistics.median(s["total"] for s in rows["reference"])
    print(f"\n== one host, perf-challenge on the timed queue (one at a time): {3600 / median:.0f} gradings/hour "
          f"(the reference's median {median:.0f} s)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saas-runs", type=int, default=5)
    parser.add_argument("--variant-runs", type=int, default=3)
    parser.add_argument("--perf-repeat", type=int, default=3)
    parser.add_argument("--skip-perf", action="store_true")
    parser.add_argument("--skip-saas", action="store_true")
    parser.add_argument("--perf-cached-only", action="store_true", help="only section 5 (the deployed method)")
    args = parser.parse_args()
    if not args.skip_saas:
        saas_reference(args.saas_runs)
        saas_fixtures(args.variant_runs)
        saas_throughput()
    if not args.skip_perf:
        perf(args.perf_repeat, args.perf_cached_only)
    return 0


if __name__ == "__main__":
    sys.exit(main())
