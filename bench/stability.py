"""How firm a perf-challenge score is: every fixture graded several times, as deployed.

    python bench/stability.py [--runs 5] [--only reference,no-indexes] [--out stability.json]

Prints, asserts nothing.  Every grading is a full in-process grading in real Docker with
the cached starter baseline (the deployed method), in passes: pass 1 grades every
fixture once, then pass 2, and so on, so slow drift of the host falls on every fixture
alike.  The starter's figures are measured by the first grading (not counted) and reused
while its drift probe agrees, as deployed: the passes show the noise of the candidate's
side; how far another measurement of the starter would move a score is
``bench/baseline_evidence.py``'s question.  Printed:

1. per fixture, the score's range (min, median, max) over the passes;
2. per check, the largest spread of its points over any fixture, as a share of the
   check's points, and per ratio check the spread of the measured ratio; a check whose
   noise moves more than a quarter of its points is flagged;
3. the ranking agreement between passes: Kendall's tau-b of pass 1 against every later
   pass, and of every pair of passes (1.0: the same order every time).

``--out`` writes the same figures as JSON; ``--store`` keeps their summary with the
assessment version they were measured on (``assessments/perf-challenge/stability/<content
hash>.json``), which every later grading of that version copies onto its run and reports
show next to the score.  Store a run over fixtures of every level (the starter, mid-band,
near the reference): the spread of one kind alone says less.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import perf_challenge  # noqa: E402

from grader.services import stability  # noqa: E402
from grader.specs import load_spec  # noqa: E402
from tests.conftest import grader_env  # noqa: E402

NOISY_SHARE = 0.25  # the bound: noise may not move more than a quarter of a check's points


def kendall_tau_b(xs: list[float], ys: list[float]) -> float:
    """Kendall's tau-b (ties in either ranking handled); a dozen fixtures need no library."""
    concordant = discordant = ties_x = ties_y = 0
    for (x1, y1), (x2, y2) in itertools.combinations(zip(xs, ys, strict=True), 2):
        dx, dy = (x1 > x2) - (x1 < x2), (y1 > y2) - (y1 < y2)
        if dx == 0 and dy == 0:
            continue
        if dx == 0:
            ties_x += 1
        elif dy == 0:
            ties_y += 1
        elif dx == dy:
            concordant += 1
        else:
            discordant += 1
    denominator = ((concordant + discordant + ties_x) * (concordant + discordant + ties_y)) ** 0.5
    return (concordant - discordant) / denominator if denominator else 1.0


def ratios(report: dict) -> dict[str, float]:
    """The measured ratios the speed checks score: p95 speed-up per endpoint, throughput overall."""
    performance = (report.get("signals") or {}).get("performance") or {}
    found = {f"p95:{name}": figures["p95_ratio"] for name, figures in (performance.get("endpoints") or {}).items()
             if isinstance(figures, dict) and figures.get("p95_ratio") is not None}
    total = performance.get("total") or {}
    starter, candidate = (total.get("starter") or {}).get("rps"), (total.get("candidate") or {}).get("rps")
    if starter and candidate is not None:
        found["rps:total"] = round(candidate / starter, 3)
    return found


def summarise(results: dict[str, list[dict]]) -> dict:
    """The figures printed and written: per fixture, per check, per ratio, and the rankings."""
    fixtures = {}
    checks: dict[str, dict] = {}
    for name, reports in results.items():
        scores = [r["score"]["total"] for r in reports]
        fixtures[name] = {"scores": scores, "min": min(scores), "median": statistics.median(scores), "max": max(scores),
                          "range": round(max(scores) - min(scores), 2)}
        by_check: dict[str, list[dict]] = {}
        for report in reports:
            for check in report["checks"]:
                by_check.setdefault(check["id"], []).append(check)
        for check_id, runs in by_check.items():
            points = [c["points"] for c in runs]
            entry = checks.setdefault(check_id, {"max_points": runs[0]["max_points"], "spread": 0.0, "worst_fixture": None})
            spread = round(max(points) - min(points), 2)
            if spread > entry["spread"]:
                entry.update(spread=spread, worst_fixture=name)
    for entry in checks.values():
        entry["share"] = round(entry["spread"] / entry["max_points"], 3) if entry["max_points"] else 0.0
        entry["noisy"] = entry["share"] > NOISY_SHARE
    ratio_spread: dict[str, dict[str, list[float]]] = {}
    for name, reports in results.items():
        for report in reports:
            for key, value in ratios(report).items():
                ratio_spread.setdefault(key, {}).setdefault(name, []).append(value)
    passes = min(len(r) for r in results.values())
    names = sorted(results)
    ranking = [[results[n][i]["score"]["total"] for n in names] for i in range(passes)]
    taus = {f"{a + 1}-{b + 1}": round(kendall_tau_b(ranking[a], ranking[b]), 3)
            for a, b in itertools.combinations(range(passes), 2)}
    return {"passes": passes, "fixtures": fixtures, "checks": checks, "ratios": ratio_spread, "kendall_tau": taus}


def report(figures: dict) -> None:
    print(f"\n== score per fixture over {figures['passes']} passes (min / median / max, range)")
    for name, f in sorted(figures["fixtures"].items(), key=lambda kv: -kv[1]["median"]):
        print(f"  {name:<24}{f['min']:>7.2f}{f['median']:>8.2f}{f['max']:>8.2f}   range {f['range']:5.2f}")
    print(f"\n== points spread per check (largest over the fixtures; flagged above {NOISY_SHARE:.0%} of its points)")
    for check_id, c in sorted(figures["checks"].items(), key=lambda kv: -kv[1]["share"]):
        if c["spread"]:
            flag = "  NOISY" if c["noisy"] else ""
            print(f"  {check_id:<24}{c['spread']:>6.2f} of {c['max_points']:>5.2f} ({c['share']:.0%}) on {c['worst_fixture']}{flag}")
    print("\n== measured ratios per fixture (min - max over the passes)")
    for key, per_fixture in sorted(figures["ratios"].items()):
        cells = ", ".join(f"{n} {min(v):.2f}-{max(v):.2f}" for n, v in sorted(per_fixture.items()))
        print(f"  {key:<18}{cells}")
    print("\n== ranking agreement between passes (Kendall tau-b; 1.0 = the same order)")
    print("  " + (", ".join(f"passes {k}: {v:.3f}" for k, v in figures["kendall_tau"].items()) or "one pass only"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="passes over every fixture")
    parser.add_argument("--only", default="", help="comma-separated fixture names")
    parser.add_argument("--out", default="", help="also write the figures as JSON here")
    parser.add_argument("--store", action="store_true", help="keep the summary with the assessment version")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-stability-"))
    version = load_spec(perf_challenge.ASSESSMENT).content_hash
    env = {**os.environ, **grader_env(tmp, GRADER_ENV="development")}
    wanted = {w for w in args.only.split(",") if w}
    fixtures = [(n.split("#")[0], repo) for n, repo in perf_challenge.fixtures(tmp, 1)
                if not wanted or n.split("#")[0] in wanted]
    perf_challenge.grade(env, fixtures[0][1])  # the first grading on a new host measures the starter: not counted
    results: dict[str, list[dict]] = {name: [] for name, _ in fixtures}
    try:
        for index in range(args.runs):
            for name, repo in fixtures:
                body, wall = perf_challenge.grade(env, repo)
                if body.get("status") != "completed":
                    print(f"pass {index + 1}: {name} ended {body.get('status')}: {body.get('failure_reason')}", flush=True)
                    continue
                results[name].append(body)
                print(f"pass {index + 1}: {name:<24} {body['score']['total']:>6.2f} in {wall:4.0f} s", flush=True)
    except KeyboardInterrupt:  # a long run stopped early still reports its complete passes
        print("interrupted: figures from the complete passes only", flush=True)
    complete = min(len(r) for r in results.values())
    if complete < 2:
        print(f"{complete} complete pass(es): nothing to compare", file=sys.stderr)
        return 1
    figures = summarise({n: r[:complete] for n, r in results.items() if r})
    report(figures)
    if args.out:
        Path(args.out).write_text(json.dumps(figures, indent=2, sort_keys=True))
    if args.store:
        spec = load_spec(perf_challenge.ASSESSMENT)
        if spec.content_hash != version:
            print(f"not stored: {spec.folder} changed while it was measured", file=sys.stderr)
            return 1
        stability.store(spec, stability.from_figures(figures, datetime.date.today()))
        print(f"stored {spec.stability_file.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
