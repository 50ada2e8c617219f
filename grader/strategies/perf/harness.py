"""Strategy ``perf-harness``: measure the candidate's app beside the starter it began from.

Per run, on one internal network with no egress: a seeded PostgreSQL (the
assessment's own image, with ``pg_stat_statements``), a fake external service,
the starter app and the candidate's app, and the tester.  Points for speed are
ratios between the two apps, so the two measurements must see the same
machine: the starter is measured and stopped before the candidate's app
starts (neither can slow the other), both while this run holds the host
exclusively (no other grading shares its cores), and each measurement records
the host's load and the apps' CPU throttling and says when something else used
the CPU meanwhile.  Query counts are read on the database side, where the
candidate's process cannot fake them.  Correctness comes from the hidden suite;
a check may ``require`` it (see ``grader.services.scoring``); and the answers the
candidate gave while measured (every probe, a sample under load) are checked
against the oracle too, so a wrong answer forfeits that measurement's credit
(``grader.strategies.perf.scoring``).

Preparation runs side by side: the database and the stub start while the
starter's files and dependencies are made ready.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import secrets
from datetime import UTC, datetime
from typing import ClassVar

from grader.errors import GradingTimeout, InstallFailed, SandboxFailure
from grader.strategies.base import GradingContext, StageClock, StrategyOutcome, not_run
from grader.strategies.perf.baseline import cache_key, drift, probe_options
from grader.strategies.perf.options import PerfOptions
from grader.strategies.perf.report import performance_table
from grader.strategies.perf.scoring import measured_checks
from grader.strategies.report import outcomes_from_report
from grader.strategies.toolkit import TestBench, app_job, in_parallel
from sandbox import Limits, SandboxError, SandboxJob, Service, Verdict
from sandbox.host import InterferenceWindow
from sandbox.layout import OUT_DIR, SUITE_DIR


class PerfHarness:
    name: ClassVar[str] = "perf-harness"
    Options: ClassVar[type[PerfOptions]] = PerfOptions

    @classmethod
    def validate(cls, spec, options: PerfOptions) -> None:
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

    def __init__(self, context: GradingContext) -> None:
        self.ctx = context
        self.spec = context.spec
        self.options: PerfOptions = context.options
        self.passwords = {name: secrets.token_urlsafe(18) for name in ("grader", "app", "starter", "stub")}
        self.clock = StageClock()
        self.timing: dict = {}  # host lock wait, load and throttling per measurement

    # ---------------------------------------------------------------- jobs
    def database_url(self, role: str, database: str) -> str:
        db = self.options.database
        password = self.passwords["app" if role == db.role else "starter" if role == db.starter_role else "grader"]
        return f"postgresql://{role}:{password}@{db.alias}:{db.port}/{database}"

    def tester_env(self) -> dict[str, str]:
        db, stub = self.options.database, self.options.stub
        return {
            "APP_URL": f"http://app:{self.spec.app.port}",
            "DB_DSN": self.database_url("grader", db.database),
            "DB_DSN_BASELINE": self.database_url("grader", db.starter_database),  # untouched: the starter only reads
            "DB_ROLE": db.role,  # the candidate's role: the integrity check reads its attributes
            "STOCK_URL": f"http://{stub.alias}:{stub.port}",
            "STOCK_CONTROL_TOKEN": self.passwords["stub"],
            "PERF_OPTIONS": json.dumps(self.options.measure),
            **self.spec.tester.env,
        }

    def app(self, network: str, alias: str, code: str, deps: str, role: str, database: str) -> Service:
        stub = self.options.stub
        env = {
            **self.spec.app.env,
            "DATABASE_URL": self.database_url(role, database),
            stub.env_var: f"http://{stub.alias}:{stub.port}",
        }
        return self.ctx.scope.service(
            app_job(self.ctx, network=network, alias=alias, env=env, code_volume=code, deps_volume=deps)
        )

    # ----------------------------------------------------------------- run
    def run(self) -> StrategyOutcome:
        db = self.options.database
        logs: dict[str, str] = {}
        try:
            with self.clock.stage("prepare"):
                network = self.ctx.scope.network()
                bench = TestBench(self.ctx, network, self.tester_env())
                services, (starter_code, starter_deps), deps = in_parallel(
                    lambda: self._services(network, bench, logs), self._starter, self.ctx.candidate_deps,
                )
            exclusive = self.ctx.exclusive_host or contextlib.nullcontext
            with contextlib.ExitStack() as host:
                with self.clock.stage("host-wait"):
                    held = host.enter_context(exclusive())
                self.timing["host_wait_s"] = round((held or {}).get("waited_s", 0.0), 3)
                # The starter runs alone: the candidate's app is not even started until the
                # starter is stopped, so it cannot slow the baseline to flatter its own ratio.
                with self.clock.stage("starter-measure"):
                    before = self._baseline(network, bench, starter_code, starter_deps, services, logs)
                if before is None:
                    raise SandboxFailure(f"measuring the starter app failed: {logs.get('measure-starter', '')[-500:]}")
                with self.clock.stage("candidate-start"):
                    candidate = self.app(network, "app", self.ctx.code_volume, deps, db.role, db.database)
                    failure = bench.wait_apps({"app": candidate}, logs)
                if failure:
                    return StrategyOutcome(not_run(self.spec, failure), notes=failure, logs=logs,
                                           stage_seconds=self.clock.finish())
                with self.clock.stage("candidate-measure"):
                    after = self._measure(bench, "app", db.role, self.options.candidate_repeat, [*services, candidate], logs)
            with self.clock.stage("suite"):
                # A slow app is still working through requests the load run abandoned; a
                # restart drops them, so the correctness suite meets the app as users would.
                candidate.restart(timeout=5)
                failure = bench.wait_apps({"app": candidate}, logs)
                result = None if failure else bench.run_suite()
            candidate.stop(timeout=10)
            logs["app"] = candidate.logs()
            logs["stub"] = services[1].logs(8000)
            if result is None:
                missing = f"the app did not start again after the load run: {failure}"
            else:
                logs["tester"] = (result.stdout + result.stderr)[-16000:]
                missing = f"the hidden suite produced no report ({result.result_error or result.verdict.value})"
            checks = {c.check_id: c for c in outcomes_from_report(self.spec, result.result if result else None, missing)}
            checks.update(measured_checks(self.options, before, after))
        except SandboxError as exc:
            raise SandboxFailure(f"the sandbox failed while testing: {exc}") from exc
        self.timing["interfered"] = any((self.timing.get(w) or {}).get("interfered")
                                        for w in ("starter-probe", "starter", "candidate"))
        performance = {**performance_table(before, after, self.options), "timing": self.timing}
        return StrategyOutcome(
            tuple(checks[c.id] for c in self.spec.checks), logs=logs, image_id=result.image_id if result else "",
            signals={"performance": performance}, stage_seconds=self.clock.finish(),
        )

    # -------------------------------------------------------------- stages
    def _starter(self) -> tuple[str, str]:
        """The starter's files and its dependencies (through the same cache as any submission)."""
        with self.clock.stage("prepare.starter"):
            source = self.spec.folder / self.spec.handout.source
            code = self.ctx.scope.volume("starter", image=self.ctx.images.tester, source=source)
            try:
                return code, self.ctx.install(source)
            except InstallFailed as exc:
                raise SandboxFailure(f"the starter app's dependencies did not install: {exc}") from exc

    def _services(self, network: str, bench: TestBench, logs: dict[str, str]) -> list[Service]:
        """The database and the fake external service, started and waited for together."""
        db, stub = self.options.database, self.options.stub
        with self.clock.stage("prepare.services"):
            database = self.ctx.scope.service(SandboxJob(
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
                labels=self.ctx.scope.job_labels("database"),
            ))
            fake = bench.service(("python", f"{SUITE_DIR}/{stub.script}", "--port", str(stub.port), *stub.args),
                                 stub.limits.to_limits(), alias=stub.alias, env={"STOCK_CONTROL_TOKEN": self.passwords["stub"]})
            waits = in_parallel(
                lambda: bench.wait(self.database_url("grader", db.database), db.startup_timeout_s),
                lambda: bench.wait(f"tcp://{stub.alias}:{stub.port}", 30),
            )
            for (what, service, timeout_s), wait in zip(
                (("the assessment database", database, db.startup_timeout_s), ("the fake external service", fake, 30)), waits,
                strict=True,
            ):
                if not wait.ok:
                    logs[what] = service.logs(8000)
                    raise SandboxFailure(f"{what} did not start within {timeout_s:.0f} s: {service.logs(2000)[-500:]}")
            return [database, fake]

    def _baseline(self, network: str, bench: TestBench, code: str, deps: str, services: list[Service],
                  logs: dict[str, str]) -> dict | None:
        """The starter's figures: measured now, or this host's earlier ones while a fresh probe agrees.

        Both probes meet a freshly started starter (after the full measurement the
        starter restarts first), so the two are taken under the same conditions.
        """
        db, rules = self.options.database, self.options.baseline
        store = self.ctx.baselines if rules.cache else None
        key = cache_key(self.spec.slug, self.spec.content_hash, (
            self.ctx.images.runner, self.ctx.images.tester, self.ctx.extra_images[db.image]), self.options)
        cached = store.get(key) if store else None
        starter = self.app(network, "starter", code, deps, db.starter_role, db.starter_database)
        if bench.wait_apps({"starter": starter}, logs, log_name="app-starter"):
            raise SandboxFailure("the starter app did not start; the grader's harness is broken")
        measure = functools.partial(self._measure, bench, "starter", db.starter_role, self.options.starter_repeat,
                                    [*services, starter], logs)

        def restart() -> bool:
            """Restart the starter, dropping requests still in flight; True once it answers again."""
            starter.restart(timeout=5)
            return not bench.wait_apps({"starter": starter}, logs, log_name="app-starter")

        probe = measure(probe=True) if cached else None
        moved = drift(cached.get("probe") if cached else None, probe)
        if cached and moved <= rules.max_drift:
            self.timing["baseline"] = {"source": "cache", "measured_at": cached.get("measured_at"), "drift": round(moved, 3)}
            figures = cached.get("figures")
        else:
            if probe is not None:  # the probe's abandoned requests must not slow the full measurement
                restart()
            figures = measure()
            self.timing["baseline"] = {"source": "measured", "drift": None if math.isinf(moved) else round(moved, 3)}
            if store is not None and figures is not None and restart():
                fresh_probe = measure(probe=True)
                if fresh_probe is not None:
                    store.put(key, {"figures": figures, "probe": fresh_probe, "measured_at": _now()})
        starter.stop(timeout=5)
        logs["app-starter"] = starter.logs(16_000)
        return figures

    def _measure(self, bench: TestBench, alias: str, role: str, repeat: int, services: list[Service],
                 logs: dict[str, str], *, probe: bool = False) -> dict | None:
        """The measure script's figures for one app, with the host's load and throttling meanwhile."""
        label = f"{alias}-probe" if probe else alias
        name = f"{label}.json"
        command = (
            "python", f"{SUITE_DIR}/{self.options.measure_script}", "--app-url", f"http://{alias}:{self.spec.app.port}",
            "--db-role", role, "--out", f"{OUT_DIR}/{name}", "--repeat", str(repeat),
        )
        if alias == "app":  # the candidate's answers are checked against the oracle; the starter is the yardstick
            command += ("--check-answers",)
        limits = Limits(timeout_s=self.options.measure_timeout_s, memory_mb=1024, cpus=1, pids=256)
        env = {"APP_URL": f"http://{alias}:{self.spec.app.port}"}
        if probe:
            env["PERF_OPTIONS"] = json.dumps(probe_options(self.options))
        job = bench.job(command, limits, result_path=f"{OUT_DIR}/{name}", env=env, stage=f"measure-{label}")
        window = InterferenceWindow.start({name: s for name, s in zip(("database", "stub", alias), services, strict=True)})
        result = self.ctx.scope.run(job)
        logs[f"measure-{label}"] = (result.stdout + result.stderr)[-8000:]
        if result.verdict is Verdict.TIMEOUT:
            raise GradingTimeout(f"measuring {alias} did not finish within {limits.timeout_s:.0f} s")
        try:
            figures = json.loads(result.result) if result.result else None
        except ValueError:
            figures = None
        tester_cpu_s = figures.get("cpu_s") if isinstance(figures, dict) else None  # the measuring job's own CPU
        self.timing[label if alias == "starter" else "candidate"] = window.stop(
            extra_own_s=float(tester_cpu_s) if isinstance(tester_cpu_s, int | float) else 0.0)
        return figures if isinstance(figures, dict) else None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
