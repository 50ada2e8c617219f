"""Strategy ``service-tester``: start the candidate's app, test it black-box from another container.

The hidden suite never enters the candidate's container: the app runs in the
runner image with its code and dependencies mounted read-only; the suite runs
in the tester image on a per-run internal network (no egress) and reaches the
app only over HTTP at ``http://<instance>:<port>``.  The verdict file is written
by the tester's own plugin, so nothing the candidate's code does can change it.

Stages whose verdicts do not depend on order run together: the instances start
and are waited for side by side, and the candidate's own tests and lint run
while the hidden suite does.  A ``timed`` assessment's suite (one that times
the app) runs holding the host alone instead, with nothing beside it.
"""

from __future__ import annotations

import contextlib
import shlex
from typing import ClassVar

from grader.errors import SandboxFailure
from grader.strategies import quality as quality_checks
from grader.strategies.base import GradingContext, StageClock, StrategyOutcome, not_run
from grader.strategies.report import outcomes_from_report
from grader.strategies.toolkit import TestBench, app_job, in_parallel, stop_all
from sandbox import Mount, SandboxError, SandboxJob, Service


class ServiceTester:
    name: ClassVar[str] = "service-tester"
    Options: ClassVar[None] = None

    @classmethod
    def validate(cls, spec, options) -> None:
        if spec.options:
            raise ValueError("service-tester takes no options")

    def __init__(self, context: GradingContext) -> None:
        self.ctx = context
        self.spec = context.spec
        self.clock = StageClock()

    def url(self, instance: str) -> str:
        return f"http://{instance}:{self.spec.app.port}"

    def tester_env(self) -> dict[str, str]:
        instances = self.spec.app.instance_envs()
        env = {"APP_URL": self.url(next(iter(instances)))}
        for name, instance_env in instances.items():
            key = name.upper().replace("-", "_")
            env[f"APP_URL_{key}"] = self.url(name)
            for var, value in instance_env.items():  # e.g. APP_ENV_STRICT_RATE_LIMIT_PER_MINUTE
                env[f"APP_ENV_{key}_{var}"] = value
        return {**env, **self.spec.tester.env}

    def app_job(self, network: str, instance: str, env: dict[str, str], deps: str, data: str | None) -> SandboxJob:
        app = self.spec.app
        command = shlex.join(app.command)
        if app.migrate_command and app.migrate_if_exists and (self.ctx.checkout / app.migrate_if_exists).exists():
            shell = f"{shlex.join(app.migrate_command)} || {{ echo 'migration failed' >&2; exit 90; }}; exec {command}"
        else:
            shell = f"exec {command}"
        mounts = (Mount(data, app.data_dir, read_only=False),) if data and app.data_dir else ()
        return app_job(self.ctx, network=network, alias=instance, env=env, code_volume=self.ctx.code_volume,
                       deps_volume=deps, shell=shell, mounts=mounts)

    def run(self) -> StrategyOutcome:
        scope, runner = self.ctx.scope, self.ctx.images.runner
        instances = self.spec.app.instance_envs()
        logs: dict[str, str] = {}
        try:
            with self.clock.stage("prepare"):
                network = scope.network()
                bench, *data_volumes = in_parallel(
                    lambda: TestBench(self.ctx, network, self.tester_env()),
                    *((lambda n=name: scope.volume(f"data-{n}", image=runner, writable=True))
                      for name in (instances if self.spec.app.data_dir else ())),
                )
                data = dict(zip(instances, data_volumes, strict=False))
                deps = self.ctx.candidate_deps()
            with self.clock.stage("start"):
                apps: dict[str, Service] = dict(zip(instances, in_parallel(*(
                    (lambda n=name, e=env: scope.service(self.app_job(network, n, e, deps, data.get(n))))
                    for name, env in instances.items()
                )), strict=True))
                failure = bench.wait_apps(apps, logs)
            if failure:
                return StrategyOutcome(not_run(self.spec, failure), notes=failure, logs=logs,
                                       stage_seconds=self.clock.finish())
            checks: dict = {}
            signals: dict = {"structure": quality_checks.structure_signals(self.ctx.checkout)}
            with self.clock.stage("suite"):
                if self.spec.timed:  # the suite times the app: it runs alone, the candidate's own checks after it
                    with (self.ctx.exclusive_host or contextlib.nullcontext)():
                        result = self._suite(bench)
                    self._own_checks(checks, signals, logs)
                else:
                    result, _ = in_parallel(lambda: self._suite(bench), lambda: self._own_checks(checks, signals, logs))
            with self.clock.stage("stop"):
                stop_all({("app" if len(apps) == 1 else f"app-{n}"): app for n, app in apps.items()}, logs)
            logs["tester"] = (result.stdout + result.stderr)[-16000:]
            checks.update({
                c.check_id: c
                for c in outcomes_from_report(
                    self.spec, result.result,
                    f"the hidden suite produced no report ({result.result_error or result.verdict.value})",
                )
                if c.check_id not in checks
            })
            with self.clock.stage("data-scan"):
                self._data_scan(checks, data, result.result)
        except SandboxError as exc:
            raise SandboxFailure(f"the sandbox failed while testing: {exc}") from exc
        return StrategyOutcome(
            tuple(checks[c.id] for c in self.spec.checks), logs=logs, image_id=result.image_id, signals=signals,
            stage_seconds=self.clock.finish(),
        )

    def _suite(self, bench: TestBench):
        with self.clock.stage("suite.hidden"):
            return bench.run_suite()

    def _own_checks(self, checks: dict, signals: dict, logs: dict[str, str]) -> None:
        """The candidate's own tests and lint: they run their code, so they only ever feed the quality category."""
        quality = self.spec.quality
        if quality.own_tests:
            with self.clock.stage("suite.own-tests"):
                outcome, signals["own_tests"] = quality_checks.run_own_tests(self.ctx, quality.own_tests)
            checks[outcome.check_id] = outcome
            logs["own-tests"] = outcome.output
        if quality.lint:
            with self.clock.stage("suite.lint"):
                outcome, signals["ruff_findings"] = quality_checks.run_lint(self.ctx, quality.lint)
            checks[outcome.check_id] = outcome

    def _data_scan(self, checks: dict, data: dict[str, str], report: bytes | None) -> None:
        """After the apps stopped (their databases flushed): look for the suite's passwords at rest."""
        scan = self.spec.quality.data_scan
        if not scan:
            return
        files: dict[str, bytes] = {}
        for name, volume in data.items():
            tree = self.ctx.scope.read_tree(volume, image=self.ctx.images.runner, max_bytes=256 << 20)
            files.update({f"{name}:{path.lstrip('./')}": content for path, content in tree.items()})
        secrets = quality_checks.secrets_from_report(report)
        checks[scan.check] = quality_checks.data_scan_outcome(scan.check, files, secrets)
