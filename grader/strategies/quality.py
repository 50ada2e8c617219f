"""Checks the grader computes itself, beside the hidden suite.

- the candidate's own pytest suite (run in their sandbox, with coverage);
- ruff with its default rules (``--isolated``: the same yardstick for everyone);
- a scan of the app's data after the run for passwords stored plainly or as
  unsalted digests;
- structure signals (an app factory, blueprints) that are reported, not scored.

Own tests and lint run the candidate's code, so they only ever feed the quality
category: nothing here can change a hidden-suite verdict.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from grader.specs import LintSpec, OwnTestsSpec
from grader.strategies.base import CheckOutcome, GradingContext
from sandbox import Limits, Mount, SandboxJob, Verdict
from sandbox.layout import APP_DIR, DEPS_MOUNT, runner_env

# pytest's own exit code is kept (5 means no tests were collected).
OWN_TESTS_SCRIPT = r"""
cp -r /app /tmp/w && cd /tmp/w || exit 97
python -m coverage run --data-file=/tmp/.coverage --source=/tmp/w --omit='*/tests/*,*/test_*.py,*conftest.py' \
  -m pytest -q -p no:cacheprovider --color=no -o addopts='' > /tmp/pytest.out 2>&1
code=$?
tail -n 40 /tmp/pytest.out
echo "GRADER_EXIT=$code"
python -m coverage report --data-file=/tmp/.coverage --format=total 2>/dev/null | sed 's/^/GRADER_COVERAGE=/'
"""

LINT_SCRIPT = r"""
ruff check --isolated --no-cache --exit-zero --output-format=json . > /tmp/ruff.json 2>/tmp/ruff.err || { cat /tmp/ruff.err; exit 3; }
python3 - <<'PY'
import json
findings = json.load(open("/tmp/ruff.json"))
print("GRADER_RUFF", len(findings))
for f in findings[:25]:
    print(f"{f['filename'].replace('/app/', '')}:{f['location']['row']} {f['code']} {f['message']}")
PY
"""


def _job(ctx: GradingContext, script: str, timeout_s: float, stage: str) -> SandboxJob:
    limits = ctx.spec.app.limits.to_limits()
    return SandboxJob(
        image=ctx.images.runner,
        command=("sh", "-c", script),
        limits=Limits(memory_mb=limits.memory_mb, cpus=limits.cpus, pids=limits.pids, timeout_s=timeout_s, tmpfs_mb=256),
        env=tuple(runner_env().items()),
        workdir=APP_DIR,
        mounts=(Mount(ctx.code_volume, APP_DIR), Mount(ctx.candidate_deps(), DEPS_MOUNT)),
        labels=ctx.scope.job_labels(stage),
    )


def run_own_tests(ctx: GradingContext, spec: OwnTestsSpec) -> tuple[CheckOutcome, dict]:
    result = ctx.scope.run(_job(ctx, OWN_TESTS_SCRIPT, spec.timeout_s, "own-tests"))
    text = result.stdout
    summary = parse_pytest_summary(text)
    exit_match = re.search(r"GRADER_EXIT=(\d+)", text)
    cov_match = re.search(r"GRADER_COVERAGE=([\d.]+)", text)
    signal = {
        **summary,
        "exit_code": int(exit_match.group(1)) if exit_match else None,
        "coverage_percent": float(cov_match.group(1)) if cov_match else None,
    }
    output = text[-8000:]
    if result.verdict is Verdict.TIMEOUT:
        return CheckOutcome(spec.check, "failed", result.duration_s, f"your tests did not finish within {spec.timeout_s:.0f} s", output), signal
    if signal["exit_code"] == 0 and summary["passed"] > 0:
        cov = f", coverage {signal['coverage_percent']:.0f}%" if signal["coverage_percent"] is not None else ""
        return CheckOutcome(spec.check, "passed", result.duration_s, f"{summary['passed']} passed{cov}", output), signal
    if signal["exit_code"] == 5 or summary == {"passed": 0, "failed": 0, "errors": 0}:
        return CheckOutcome(spec.check, "failed", result.duration_s, "no tests were collected", output), signal
    message = f"{summary['passed']} passed, {summary['failed']} failed, {summary['errors']} errors"
    return CheckOutcome(spec.check, "failed", result.duration_s, message, output), signal


def parse_pytest_summary(text: str) -> dict[str, int]:
    counts = {"passed": 0, "failed": 0, "errors": 0}
    lines = [ln for ln in text.splitlines() if re.search(r"\b(passed|failed|error|errors|no tests ran)\b", ln)]
    if lines:
        last = lines[-1]
        for number, word in re.findall(r"(\d+) (passed|failed|errors?)\b", last):
            counts["errors" if word.startswith("error") else word] += int(number)
    return counts


def run_lint(ctx: GradingContext, spec: LintSpec) -> tuple[CheckOutcome, int | None]:
    result = ctx.scope.run(_job(ctx, LINT_SCRIPT, 120, "lint"))
    match = re.search(r"GRADER_RUFF (\d+)", result.stdout)
    if not match:
        return CheckOutcome(spec.check, "error", result.duration_s, "ruff could not run", result.stderr[-2000:]), None
    count = int(match.group(1))
    listing = result.stdout.split("\n", 1)[1] if "\n" in result.stdout else ""
    outcome = "passed" if count <= spec.max_findings else "failed"
    message = f"ruff found {count} problem(s) (at most {spec.max_findings} allowed)"
    return CheckOutcome(spec.check, outcome, result.duration_s, message, listing[-6000:]), count


def digests(secret: str) -> list[bytes]:
    """The plain text and the unsalted digests a careless app might store."""
    raw = secret.encode()
    found = [raw]
    for name in ("md5", "sha1", "sha224", "sha256", "sha384", "sha512"):
        digest = hashlib.new(name, raw)
        hexed = digest.hexdigest()
        found += [hexed.encode(), hexed.upper().encode(), digest.digest()]
    return found


def scan_for_secrets(files: dict[str, bytes], secrets: list[str]) -> list[str]:
    """Where in ``files`` a secret appears in plain text or as an unsalted digest."""
    findings = []
    for secret in secrets:
        plain, *hashed = digests(secret)
        for path, content in files.items():
            if plain in content:
                findings.append(f"a password is stored in plain text in {path}")
            elif any(h in content for h in hashed):
                findings.append(f"a password is stored as an unsalted MD5/SHA digest in {path}")
    return sorted(set(findings))


def data_scan_outcome(check_id: str, files: dict[str, bytes], secrets: list[str]) -> CheckOutcome:
    if not secrets:
        return CheckOutcome(check_id, "not_run", message="the hidden suite recorded no passwords to look for")
    if not files:
        return CheckOutcome(check_id, "not_run", message="the app stored no files in its data directory")
    findings = scan_for_secrets(files, secrets)
    if findings:
        return CheckOutcome(check_id, "failed", message=findings[0], output="\n".join(findings))
    names = ", ".join(sorted(files))[:500]
    return CheckOutcome(check_id, "passed", message=f"{len(secrets)} passwords searched in {names}")


def structure_signals(checkout: Path, cap: int = 5_000_000) -> dict[str, bool]:
    """Static look at the code (never executed here): app factory, blueprints, report-rewriting hooks."""
    factory = blueprints = report_hooks = False
    seen = 0
    for path in sorted(checkout.rglob("*.py")):
        if path.is_symlink() or not path.is_file():
            continue
        in_tests = "tests" in path.relative_to(checkout).parts or path.name.startswith(("test_", "conftest"))
        text = path.read_text(encoding="utf-8", errors="replace")
        seen += len(text)
        factory = factory or (not in_tests and bool(re.search(r"^def create_app\(", text, re.M)))
        blueprints = blueprints or (not in_tests and "Blueprint(" in text)
        # A conftest that rewrites test reports can make any own suite look green: say so.
        report_hooks = report_hooks or bool(re.search(r"def pytest_runtest_(makereport|logreport)\(", text))
        if seen > cap:
            break
    return {"app_factory": factory, "blueprints": blueprints, "rewrites_test_reports": report_hooks}


def secrets_from_report(raw: bytes | None) -> list[str]:
    if raw is None:
        return []
    try:
        extra = json.loads(raw).get("extra") or {}
    except (ValueError, AttributeError):
        return []
    secrets = extra.get("secrets") or []
    return [s for s in secrets if isinstance(s, str) and len(s) >= 8][:500]
