"""Strategy ``perf-harness``: measure the candidate's app beside the starter it began from.

Per run, on one internal network with no egress: a seeded PostgreSQL (the
assessment's own image, with ``pg_stat_statements``), a fake external service,
the starter app and the candidate's app, and the tester.  The starter is
started, measured and stopped before the candidate's app starts, so they never
compete for CPU and the candidate cannot disturb the baseline; performance points are ratios between the two, which cancels much of the
noise of a shared machine.  Query counts are read on the database side, where
the candidate's process cannot fake them.  Correctness comes from the hidden
suite; a check may ``require`` it (see ``grader.services.scoring``).
"""

from __future__ import annotations

import contextlib
import json
import math
import secrets
import shlex
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from grader.errors import GradingTimeout, InstallFailed, SandboxFailure
from grader.services.install import DEPS_MOUNT, read_requirements
from grader.specs import LimitsSpec
from grader.strategies.base import (
    OUT_DIR,
    SUITE_DIR,
    CheckOutcome,
    GradingContext,
    StageClock,
    StrategyOutcome,
    not_run,
    outcomes_from_report,
    startup_failure,
    tester_job,
)
from sandbox import Mount, SandboxJob, Verdict
from sandbox.errors import SandboxError
from sandbox.job import Limits
from sandbox.runner import LABEL_RUN, LABEL_WORKER

APP_DIR = "/app"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseOptions(_Strict):
    image: str  # a name under the assessment's ``images``
    command: list[str]  # how that image serves (it reads the *_DB_PASSWORD variables)
    alias: str = "db"
    port: int = 5432
    database: str = "bookshop"  # the candidate's copy of the data
    starter_database: str = "starter"  # the starter's identical copy
    role: str = "app"  # the candidate's role: query counts are filtered by it
    starter_role: str = "starter"
    writable: list[str] = ["/pg"]  # the data directory is copied onto this tmpfs at start
    startup_timeout_s: float = 60
    limits: LimitsSpec = LimitsSpec(memory_mb=2048, cpus=1, pids=512, tmpfs_mb=1024, fsize_mb=1024, nofile=4096, timeout_s=1800)


class StubOptions(_Strict):
    """The fake external service: a script of the hidden suite, run in the tester image."""

    script: str = "stock_service.py"
    alias: str = "stock"
    port: int = 9000
    args: list[str] = []
    env_var: str = "EXTERNAL_API_URL"  # how the apps learn its URL
    limits: LimitsSpec = LimitsSpec(memory_mb=256, cpus=0.5, pids=512, timeout_s=1800)


class QueryCheck(_Strict):
    endpoint: str
    max_per_request: float = Field(6, ge=0)  # statements at the large size
    max_growth: float = Field(1, ge=0)  # large minus small: an N+1 grows with the page


class RatioCheck(_Strict):
    endpoint: str  # a key of the load mix, or "total"
    metric: Literal["p95", "rps"]  # p95: starter / candidate; rps (successful): candidate / starter
    zero_at: float = Field(gt=0)  # ratios at or below score nothing
    full_at: float = Field(gt=0)  # ratios at or above score everything; log-scaled between
    max_error_rate: float = Field(0.05, ge=0, le=1)  # a faster endpoint that fails this often scores nothing


class ErrorRateCheck(_Strict):
    max_error_rate: float = Field(0.01, ge=0, le=1)


class PerfOptions(_Strict):
    database: DatabaseOptions
    stub: StubOptions = StubOptions()
    measure_script: str = "measure.py"
    measure: dict[str, Any]  # handed to the measure script verbatim as PERF_OPTIONS (probes, load profile)
    starter_repeat: int = Field(1, ge=1, le=10)  # the starter's query counts do not vary; its probes are slow
    candidate_repeat: int = Field(3, ge=1, le=10)
    measure_timeout_s: float = Field(300, gt=0, le=1800)
    query_checks: dict[str, QueryCheck] = {}
    ratio_checks: dict[str, RatioCheck] = {}
    error_rate_checks: dict[str, ErrorRateCheck] = {}


def ratio_credit(ratio: float, zero_at: float, full_at: float) -> float:
    """Share of the points for a speed-up: 0 at ``zero_at``, 1 at ``full_at``, log-linear between.

    Continuous on purpose: a ratio that wobbles with machine noise moves the
    score a little, never across a cliff.
    """
    if ratio <= zero_at:
        return 0.0
    if ratio >= full_at or full_at <= zero_at:
        return 1.0
    return math.log(ratio / zero_at) / math.log(full_at / zero_at)


class PerfHarness:
    def __init__(self, context: GradingContext) -> None:
        self.ctx = context
        self.spec = context.spec
        self.sandbox = context.sandbox
        self.options = PerfOptions(**self.spec.options)
        self.passwords = {name: secrets.token_urlsafe(18) for name in ("grader", "app", "starter", "stub")}
        self.clock = StageClock()

    @staticmethod
    def validate_options(spec) -> None:
        try:
            options = PerfOptions(**spec.options)
        except ValidationError as exc:
            raise ValueError(f"options: {exc}") from exc
        ids = {c.id for c in spec.checks}
        measured = {*options.query_checks, *options.ratio_checks, *options.error_rate_checks}
        if unknown := measured - ids:
            raise ValueError(f"options name unknown checks {sorted(unknown)}")
        if options.database.image not in spec.images:
            raise ValueError(f"database image {options.database.image!r} is not under images")
        if spec.handout is None:
            raise ValueError("perf-harness measures the starter: set handout.source")
        for name in (options.stub.script, options.measure_script):
            if not (spec.suite_dir / name).is_file():
                raise ValueError(f"{spec.tester.suite}/{name} is missing")

    # ---------------------------------------------------------------- jobs
    def _labels(self, stage: str) -> tuple[tuple[str, str], ...]:
        return ((LABEL_RUN, self.ctx.run_id), ("grader.stage", stage))

    def database_url(self, role: str, database: str, scheme: str = "postgresql") -> str:
        db = self.options.database
        password = self.passwords["app" if role == db.role else "starter" if role == db.starter_role else "grader"]
        return f"{scheme}://{role}:{password}@{db.alias}:{db.port}/{database}"

    def database_job(self, network: str) -> SandboxJob:
        db = self.options.database
        return SandboxJob(
            image=self.ctx.extra_images[db.image],
            command=tuple(db.command),
            limits=db.limits.to_limits(),
            env=(
                ("GRADER_DB_PASSWORD", self.passwords["grader"]),
                ("APP_DB_PASSWORD", self.passwords["app"]),
                ("STARTER_DB_PASSWORD", self.passwords["starter"]),
            ),
            network=network,
            network_alias=db.alias,
            writable_paths=tuple(db.writable),
            labels=self._labels("database"),
        )

    def stub_job(self, network: str, suite: str) -> SandboxJob:
        stub = self.options.stub
        return SandboxJob(
            image=self.ctx.images.tester,
            command=("python", f"{SUITE_DIR}/{stub.script}", "--port", str(stub.port), *stub.args),
            limits=stub.limits.to_limits(),
            env=(("STOCK_CONTROL_TOKEN", self.passwords["stub"]),),
            workdir=SUITE_DIR,
            mounts=(Mount(suite, SUITE_DIR),),
            network=network,
            network_alias=stub.alias,
            labels=self._labels("stub"),
        )

    def app_job(self, network: str, alias: str, code: str, deps: str, role: str, database: str) -> SandboxJob:
        app = self.spec.app
        env = {
            "PYTHONPATH": f"{APP_DIR}:{DEPS_MOUNT}/site",
            "PATH": f"{DEPS_MOUNT}/site/bin:/opt/tools/bin:/usr/bin:/bin",
            **app.env,
            "DATABASE_URL": self.database_url(role, database),
            self.options.stub.env_var: f"http://{self.options.stub.alias}:{self.options.stub.port}",
        }
        return SandboxJob(
            image=self.ctx.images.runner,
            command=("sh", "-c", f"exec {shlex.join(app.command)}"),
            limits=app.limits.to_limits(),
            env=tuple(env.items()),
            workdir=APP_DIR,
            mounts=(Mount(code, APP_DIR), Mount(deps, DEPS_MOUNT)),
            network=network,
            network_alias=alias,
            writable_paths=tuple(app.writable),
            labels=self._labels(f"app-{alias}"),
        )

    def tester_job(self, network: str, suite: str, out: str, command: tuple[str, ...], limits: Limits,
                   result: str | None = None, app_alias: str = "app") -> SandboxJob:
        db = self.options.database
        env = {
            "APP_URL": f"http://{app_alias}:{self.spec.app.port}",
            "DB_DSN": self.database_url("grader", db.database),
            "DB_DSN_BASELINE": self.database_url("grader", db.starter_database),  # untouched: the starter only reads
            "STOCK_URL": f"http://{self.options.stub.alias}:{self.options.stub.port}",
            "STOCK_CONTROL_TOKEN": self.passwords["stub"],
            "PERF_OPTIONS": json.dumps(self.options.measure),
            **self.spec.tester.env,
        }
        return tester_job(self.ctx, network, suite, out, command, limits, env, result)

    # ----------------------------------------------------------------- run
    def run(self) -> StrategyOutcome:
        tag = uuid.uuid4().hex[:8]
        labels = {LABEL_RUN: self.ctx.run_id, LABEL_WORKER: self.sandbox.worker}
        suite = f"grader-suite-{self.ctx.run_id}-{tag}"
        out = f"grader-out-{self.ctx.run_id}-{tag}"
        starter_code = f"grader-starter-{self.ctx.run_id}-{tag}"
        tester = self.ctx.images.tester
        logs: dict[str, str] = {}
        try:
            with self.clock.stage("starter-install"):
                starter_dir = self.spec.folder / self.spec.handout.source
                self.sandbox.volume_from_dir(starter_code, starter_dir, image=tester, labels=labels)
                try:
                    starter_deps = self.ctx.installer.install(read_requirements(starter_dir), self.ctx.run_id).volume
                except InstallFailed as exc:
                    raise SandboxFailure(f"the starter app's dependencies did not install: {exc}") from exc
            self.sandbox.volume_from_dir(suite, self.spec.suite_dir, image=tester, labels=labels)
            self.sandbox.create_volume(out, image=tester, owner=10001, labels=labels)
            with contextlib.ExitStack() as stack:
                network = stack.enter_context(self.sandbox.network(self.ctx.run_id))
                with self.clock.stage("services"):
                    database = stack.enter_context(self.sandbox.service(self.database_job(network)))
                    stub = stack.enter_context(self.sandbox.service(self.stub_job(network, suite)))
                    db = self.options.database
                    self._wait_or_fail(network, suite, out, self.database_url("grader", db.database), db.startup_timeout_s,
                                       "the assessment database", database, logs)
                    self._wait_or_fail(network, suite, out, f"tcp://{self.options.stub.alias}:{self.options.stub.port}", 30,
                                       "the fake external service", stub, logs)
                # The starter runs alone: the candidate's app is not even started until the
                # starter is stopped, so it cannot slow the baseline to flatter its own ratio.
                with self.clock.stage("starter-measure"):
                    starter = stack.enter_context(self.sandbox.service(
                        self.app_job(network, "starter", starter_code, starter_deps, db.starter_role, db.starter_database)))
                    if self._wait_app(network, suite, out, "starter", starter, logs):
                        raise SandboxFailure("the starter app did not start; the grader's harness is broken")
                    before = self._measure(network, suite, out, "starter", db.starter_role, self.options.starter_repeat, logs)
                    starter.stop(timeout=5)
                    logs["app-starter"] = starter.logs(16_000)
                if before is None:
                    raise SandboxFailure(f"measuring the starter app failed: {logs.get('measure-starter', '')[-500:]}")
                with self.clock.stage("candidate-start"):
                    candidate = stack.enter_context(self.sandbox.service(
                        self.app_job(network, "app", self.ctx.code_volume, self.ctx.deps_volume, db.role, db.database)))
                    failure = self._wait_app(network, suite, out, "app", candidate, logs)
                    if failure:
                        return StrategyOutcome(not_run(self.spec, failure), notes=failure, logs=logs,
                                               stage_seconds=self.clock.seconds)
                with self.clock.stage("candidate-measure"):
                    after = self._measure(network, suite, out, "app", db.role, self.options.candidate_repeat, logs)
                with self.clock.stage("suite"):
                    # A slow app is still working through requests the load run abandoned; a
                    # restart drops them, so the correctness suite meets the app as users would.
                    candidate.restart(timeout=5)
                    failure = self._wait_app(network, suite, out, "app", candidate, logs)
                    result = None if failure else self._suite(network, suite, out)
                candidate.stop(timeout=10)
                logs["app"] = candidate.logs()
                logs["stub"] = stub.logs(8000)
            if result is None:
                missing = f"the app did not start again after the load run: {failure}"
            else:
                logs["tester"] = (result.stdout + result.stderr)[-16000:]
                missing = f"the hidden suite produced no report ({result.result_error or result.verdict.value})"
            checks = {c.check_id: c for c in outcomes_from_report(self.spec, result.result if result else None, missing)}
            checks.update(self._measured_checks(before, after))
        except SandboxError as exc:
            raise SandboxFailure(f"the sandbox failed while testing: {exc}") from exc
        finally:
            for volume in (suite, out, starter_code):
                self.sandbox.remove_volume(volume)
        return StrategyOutcome(
            tuple(checks[c.id] for c in self.spec.checks), logs=logs, image_id=result.image_id if result else "",
            signals={"performance": performance_table(before, after, self.options)}, stage_seconds=self.clock.seconds,
        )

    def _wait(self, network, suite, out, url: str, timeout_s: float):
        return self.sandbox.run(self.tester_job(
            network, suite, out, ("python", "-m", "grader_wait", url, str(timeout_s)), Limits(timeout_s=timeout_s + 15, memory_mb=256)
        ))

    def _wait_or_fail(self, network, suite, out, url, timeout_s, what, service, logs) -> None:
        if not self._wait(network, suite, out, url, timeout_s).ok:
            logs[what] = service.logs(8000)
            raise SandboxFailure(f"{what} did not start within {timeout_s:.0f} s: {service.logs(2000)[-500:]}")

    def _wait_app(self, network, suite, out, alias: str, app, logs) -> str | None:
        """None when the app answers its health URL; else why not, in words."""
        startup = self.spec.app.startup_timeout_s
        wait = self._wait(network, suite, out, f"http://{alias}:{self.spec.app.port}{self.spec.app.health_path}", startup)
        if wait.ok:
            return None
        logs.update({f"app-{alias}" if alias != "app" else "app": app.logs(), "startup": wait.stdout[-2000:]})
        return startup_failure(app, self.spec.app.health_path, startup)

    def _measure(self, network, suite, out, alias: str, role: str, repeat: int, logs) -> dict | None:
        name = f"{alias}.json"
        command = (
            "python", f"{SUITE_DIR}/{self.options.measure_script}", "--app-url", f"http://{alias}:{self.spec.app.port}",
            "--db-role", role, "--out", f"{OUT_DIR}/{name}", "--repeat", str(repeat),
        )
        limits = Limits(timeout_s=self.options.measure_timeout_s, memory_mb=1024, cpus=1, pids=256)
        result = self.sandbox.run(self.tester_job(network, suite, out, command, limits, f"{OUT_DIR}/{name}", alias))
        logs[f"measure-{alias}"] = (result.stdout + result.stderr)[-8000:]
        if result.verdict is Verdict.TIMEOUT:
            raise GradingTimeout(f"measuring {alias} did not finish within {limits.timeout_s:.0f} s")
        try:
            return json.loads(result.result) if result.result else None
        except ValueError:
            return None

    def _suite(self, network, suite, out):
        command = (
            "python", "-m", "pytest", "-p", "grader_report", f"--grader-report={OUT_DIR}/results.json",
            "-p", "no:cacheprovider", "-q", "-rN", "--color=no", f"--rootdir={SUITE_DIR}",
            *self.spec.tester.pytest_args, SUITE_DIR,
        )
        limits = self.spec.tester.limits.to_limits()
        result = self.sandbox.run(self.tester_job(network, suite, out, command, limits, f"{OUT_DIR}/results.json"))
        if result.verdict is Verdict.TIMEOUT:
            raise GradingTimeout(f"the hidden tests did not finish within {limits.timeout_s:.0f} s")
        if result.result is None and result.verdict is Verdict.OOM:
            raise SandboxFailure("the tester ran out of memory")
        return result

    # ------------------------------------------------------------- scoring
    def _measured_checks(self, before: dict, after: dict | None) -> dict[str, CheckOutcome]:
        options = self.options
        if after is None:
            reason = "the measurement of the candidate's app produced no figures"
            ids = [*options.query_checks, *options.ratio_checks, *options.error_rate_checks]
            return {i: CheckOutcome(i, "not_run", message=reason) for i in ids}
        timeout_ms = float(options.measure.get("load", {}).get("request_timeout_s", 5)) * 1000
        checks = {}
        for check_id, rule in options.query_checks.items():
            checks[check_id] = query_outcome(check_id, rule, before, after)
        for check_id, rule in options.ratio_checks.items():
            checks[check_id] = ratio_outcome(check_id, rule, before, after, timeout_ms)
        for check_id, rule in options.error_rate_checks.items():
            total = (after.get("load") or {}).get("total") or {}
            rate = total.get("error_rate")
            if rate is None or not total.get("requests"):
                checks[check_id] = CheckOutcome(check_id, "failed", message="no request completed under load")
                continue
            ok = rate <= rule.max_error_rate
            stalled = f" (including {total['stalled']} left unanswered at the end)" if total.get("stalled") else ""
            checks[check_id] = CheckOutcome(
                check_id, "passed" if ok else "failed",
                message=f"{rate:.1%} of {total['requests'] + total.get('stalled', 0)} requests failed under load{stalled} "
                        f"(allowed {rule.max_error_rate:.0%})",
                evidence=({"candidate": total, "starter": ((before.get("load") or {}).get("total"))},),
            )
        return checks


def _queries(figures: dict | None, endpoint: str) -> dict:
    return ((figures or {}).get("queries") or {}).get(endpoint) or {}


def _load(figures: dict | None, endpoint: str) -> dict:
    load = (figures or {}).get("load") or {}
    return (load.get("total") if endpoint == "total" else (load.get("endpoints") or {}).get(endpoint)) or {}


def query_outcome(check_id: str, rule: QueryCheck, before: dict, after: dict) -> CheckOutcome:
    """Statements per request at two sizes, counted by PostgreSQL for the app's role."""
    mine, theirs = _queries(after, rule.endpoint), _queries(before, rule.endpoint)
    evidence = ({
        "endpoint": rule.endpoint,
        "candidate": {size: _brief_queries(mine.get(size)) for size in ("small", "large")},
        "starter": {size: _brief_queries(theirs.get(size)) for size in ("small", "large")},
        "limits": {"max_per_request": rule.max_per_request, "max_growth": rule.max_growth},
    },)
    small, large = (mine.get("small") or {}), (mine.get("large") or {})
    bad = [p for p in (small.get("probes") or []) + (large.get("probes") or []) if p.get("status") != 200]
    if small.get("median") is None or large.get("median") is None or bad:
        detail = f"; a probe answered {bad[0].get('status')} ({bad[0].get('path')})" if bad else ""
        return CheckOutcome(check_id, "failed", message=f"statements could not be counted{detail}", evidence=evidence)
    growth = large["median"] - small["median"]
    text = (f"{small['median']:g} statements per request at the small size, {large['median']:g} at the large size "
            f"(starter: {_fmt((theirs.get('small') or {}).get('median'))} and {_fmt((theirs.get('large') or {}).get('median'))})")
    if growth > rule.max_growth:
        return CheckOutcome(check_id, "failed", message=f"{text}: the count grows with the size (N+1)", evidence=evidence)
    if large["median"] > rule.max_per_request:
        return CheckOutcome(check_id, "failed", message=f"{text}; at most {rule.max_per_request:g} allowed", evidence=evidence)
    return CheckOutcome(check_id, "passed", message=text, evidence=evidence)


def ratio_outcome(check_id: str, rule: RatioCheck, before: dict, after: dict, timeout_ms: float) -> CheckOutcome:
    """Speed-up of the candidate over the starter under the same load profile."""
    mine, theirs = _load(after, rule.endpoint), _load(before, rule.endpoint)
    evidence = {"endpoint": rule.endpoint, "metric": rule.metric, "starter": theirs, "candidate": mine,
                "zero_at": rule.zero_at, "full_at": rule.full_at}
    if rule.endpoint == "total":  # the load timeline (percentiles over time), for the report
        evidence["timeline"] = {label: ((figures or {}).get("load") or {}).get("timeline") or []
                                for label, figures in (("starter", before), ("candidate", after))}
    if not mine.get("requests"):
        return CheckOutcome(check_id, "failed", credit=0.0, message="no request completed under load", evidence=(evidence,))
    if (mine.get("error_rate") or 0) > rule.max_error_rate:
        return CheckOutcome(check_id, "failed", credit=0.0, evidence=(evidence,),
                            message=f"{mine['error_rate']:.1%} of requests failed under load; speed does not count")
    if rule.metric == "p95":
        # Requests still running when the window closed count at their age (a lower bound),
        # so a starter that finished nothing still has a p95; only with no data at all is it the timeout.
        starter_value = max(float(theirs.get("p95") or timeout_ms), 1.0)
        ratio = starter_value / max(float(mine.get("p95") or timeout_ms), 1.0)
        unfinished = (f", {theirs['unfinished']} requests unfinished (counted at their age)"
                      if theirs.get("unfinished", 0) > theirs.get("requests", 0) else "")
        text = f"p95 {_fmt(mine.get('p95'))} ms vs the starter's {starter_value:g} ms{unfinished}: {ratio:.1f}x faster"
    else:
        duration = max(float((after.get("load") or {}).get("duration_s") or 1), 1.0)
        ok_rps = (mine["requests"] - mine.get("failures", 0)) / duration
        starter_ok = (theirs.get("requests", 0) - theirs.get("failures", 0)) / duration
        starter_rps = max(starter_ok, 1.0 / duration)  # at least one request's worth: no division by zero
        ratio = ok_rps / starter_rps
        text = f"{ok_rps:.1f} successful requests/s vs the starter's {starter_ok:.1f}: {ratio:.1f}x"
    evidence["ratio"] = round(ratio, 2)
    credit = ratio_credit(ratio, rule.zero_at, rule.full_at)
    outcome = "passed" if credit >= 1.0 else "partial" if credit > 0 else "failed"
    return CheckOutcome(
        check_id, outcome, credit=round(credit, 4), evidence=(evidence,),
        message=f"{text} (nothing at {rule.zero_at:g}x, full credit from {rule.full_at:g}x)",
    )


def performance_table(before: dict | None, after: dict | None, options: PerfOptions) -> dict:
    """Per endpoint, before and after: the figures a recruiter reads at a glance."""
    endpoints = sorted({*((options.measure.get("load") or {}).get("mix") or {}), *(options.measure.get("queries") or {})})
    table = {}
    for endpoint in endpoints:
        row = {}
        for label, figures in (("starter", before), ("candidate", after)):
            q, load = _queries(figures, endpoint), _load(figures, endpoint)
            row[label] = {
                "queries_small": (q.get("small") or {}).get("median"),
                "queries_large": (q.get("large") or {}).get("median"),
                **{k: load.get(k) for k in ("p50", "p95", "p99", "rps", "error_rate", "requests")},
            }
        s95, c95 = row["starter"].get("p95"), row["candidate"].get("p95")
        row["p95_ratio"] = round(s95 / c95, 1) if s95 and c95 else None
        table[endpoint] = row
    return {"endpoints": table, "total": {"starter": _load(before, "total"), "candidate": _load(after, "total")}}


def _brief_queries(size: dict | None) -> dict | None:
    if not size:
        return None
    return {k: size.get(k) for k in ("median", "counts", "top_statements") if k in size}


def _fmt(value) -> str:
    return "?" if value is None else f"{value:g}"
