"""Strategy ``service-tester``: start the candidate's app, test it black-box from another container.

The hidden suite never enters the candidate's container: the app runs in the
runner image with its code and dependencies mounted read-only; the suite runs
in the tester image on a per-run internal network (no egress) and reaches the
app only over HTTP at ``http://app:<port>``.  The verdict file is written by
the tester's own plugin, so nothing the candidate's code does can change it.
"""

from __future__ import annotations

import contextlib
import shlex
import uuid

from grader.errors import GradingTimeout, SandboxFailure
from grader.services.install import DEPS_MOUNT
from grader.strategies import quality as quality_checks
from grader.strategies.base import (
    OUT_DIR,
    SUITE_DIR,
    GradingContext,
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
RESULTS = f"{OUT_DIR}/results.json"


class ServiceTester:
    def __init__(self, context: GradingContext) -> None:
        self.ctx = context
        self.spec = context.spec
        self.sandbox = context.sandbox

    def url(self, instance: str) -> str:
        return f"http://{instance}:{self.spec.app.port}"

    def app_job(self, network: str, instance: str, env_overrides: dict[str, str], data_volume: str | None) -> SandboxJob:
        app = self.spec.app
        command = shlex.join(app.command)
        if app.migrate_command and app.migrate_if_exists and (self.ctx.checkout / app.migrate_if_exists).exists():
            command = f"{shlex.join(app.migrate_command)} || {{ echo 'migration failed' >&2; exit 90; }}; exec {command}"
        else:
            command = f"exec {command}"
        env = {"PYTHONPATH": f"{APP_DIR}:{DEPS_MOUNT}/site", "PATH": f"{DEPS_MOUNT}/site/bin:/opt/tools/bin:/usr/bin:/bin", **env_overrides}
        mounts = [Mount(self.ctx.code_volume, APP_DIR), Mount(self.ctx.deps_volume, DEPS_MOUNT)]
        if data_volume and app.data_dir:
            mounts.append(Mount(data_volume, app.data_dir, read_only=False))
        return SandboxJob(
            image=self.ctx.images.runner,
            command=("sh", "-c", command),
            limits=app.limits.to_limits(),
            env=tuple(env.items()),
            workdir=APP_DIR,
            mounts=tuple(mounts),
            network=network,
            network_alias=instance,
            writable_paths=tuple(app.writable),
            labels=((LABEL_RUN, self.ctx.run_id), ("grader.stage", f"app-{instance}")),
        )

    def tester_job(self, network: str, suite: str, out: str, command: tuple[str, ...], limits: Limits) -> SandboxJob:
        instances = list(self.spec.app.instance_envs())
        env = {"APP_URL": self.url(instances[0])}
        for name, instance_env in self.spec.app.instance_envs().items():
            env[f"APP_URL_{name.upper().replace('-', '_')}"] = self.url(name)
            for key, value in instance_env.items():  # e.g. APP_ENV_STRICT_RATE_LIMIT_PER_MINUTE
                env[f"APP_ENV_{name.upper().replace('-', '_')}_{key}"] = value
        env.update(self.spec.tester.env)
        return tester_job(self.ctx, network, suite, out, command, limits, env, RESULTS)

    def run(self) -> StrategyOutcome:
        labels = {LABEL_RUN: self.ctx.run_id, LABEL_WORKER: self.sandbox.worker}
        tag = uuid.uuid4().hex[:8]
        suite = f"grader-suite-{self.ctx.run_id}-{tag}"
        out = f"grader-out-{self.ctx.run_id}-{tag}"
        image = self.ctx.images.tester
        instances = self.spec.app.instance_envs()
        data = {name: f"grader-data-{self.ctx.run_id}-{name}-{tag}" for name in instances} if self.spec.app.data_dir else {}
        logs: dict[str, str] = {}
        try:
            self.sandbox.volume_from_dir(suite, self.spec.suite_dir, image=image, labels=labels)
            self.sandbox.create_volume(out, image=image, owner=10001, labels=labels)
            for volume in data.values():
                self.sandbox.create_volume(volume, image=image, owner=10001, labels=labels)
            with contextlib.ExitStack() as stack:
                network = stack.enter_context(self.sandbox.network(self.ctx.run_id))
                apps = {
                    name: stack.enter_context(self.sandbox.service(self.app_job(network, name, env, data.get(name))))
                    for name, env in instances.items()
                }
                startup_failure = self._wait_healthy(network, suite, out, apps, logs)
                if startup_failure:
                    return StrategyOutcome(not_run(self.spec, startup_failure), notes=startup_failure, logs=logs)
                tester_limits = self.spec.tester.limits.to_limits()
                command = (
                    "python", "-m", "pytest", "-p", "grader_report", f"--grader-report={RESULTS}",
                    "-p", "no:cacheprovider", "-q", "-rN", "--color=no", f"--rootdir={SUITE_DIR}",
                    *self.spec.tester.pytest_args, SUITE_DIR,
                )
                result = self.sandbox.run(self.tester_job(network, suite, out, command, tester_limits))
                for name, app in apps.items():
                    app.stop(timeout=10)  # graceful: the app flushes its database before we read it
                    logs[f"app-{name}" if len(apps) > 1 else "app"] = app.logs()
            if result.verdict is Verdict.TIMEOUT:
                raise GradingTimeout(f"the hidden tests did not finish within {tester_limits.timeout_s:.0f} s")
            if result.result is None and result.verdict is Verdict.OOM:
                raise SandboxFailure("the tester ran out of memory")
            logs["tester"] = (result.stdout + result.stderr)[-16000:]
            checks = {
                c.check_id: c
                for c in outcomes_from_report(
                    self.spec, result.result,
                    f"the hidden suite produced no report ({result.result_error or result.verdict.value})",
                )
            }
            signals = self._quality(checks, data, result.result, logs)
        except SandboxError as exc:
            raise SandboxFailure(f"the sandbox failed while testing: {exc}") from exc
        finally:
            for volume in (suite, out, *data.values()):
                self.sandbox.remove_volume(volume)
        return StrategyOutcome(
            tuple(checks[c.id] for c in self.spec.checks), logs=logs, image_id=result.image_id, signals=signals
        )

    def _wait_healthy(self, network, suite, out, apps, logs) -> str | None:
        """None when every instance answers its health URL; else why not, in words."""
        startup = self.spec.app.startup_timeout_s
        for name, app in apps.items():
            wait = self.sandbox.run(
                self.tester_job(
                    network, suite, out,
                    ("python", "-m", "grader_wait", f"{self.url(name)}{self.spec.app.health_path}", str(startup)),
                    Limits(timeout_s=startup + 15, memory_mb=256),
                )
            )
            if wait.ok:
                continue
            logs.update({"app": app.logs(), "startup": wait.stdout[-2000:]})
            return startup_failure(app, self.spec.app.health_path, startup)
        return None

    def _quality(self, checks, data, report, logs) -> dict:
        """Fill in the checks the grader computes itself; return the signals for recruiters."""
        quality = self.spec.quality
        signals: dict = {"structure": quality_checks.structure_signals(self.ctx.checkout)}
        if quality.own_tests:
            outcome, signals["own_tests"] = quality_checks.run_own_tests(self.ctx, quality.own_tests)
            checks[outcome.check_id] = outcome
            logs["own-tests"] = outcome.output
        if quality.lint:
            outcome, signals["ruff_findings"] = quality_checks.run_lint(self.ctx, quality.lint)
            checks[outcome.check_id] = outcome
        if quality.data_scan:
            files: dict[str, bytes] = {}
            for name, volume in data.items():
                for path, content in self.sandbox.read_tree_from_volume(
                    volume, image=self.ctx.images.runner, max_bytes=256 << 20
                ).items():
                    files[f"{name}:{path.lstrip('./')}"] = content
            secrets = quality_checks.secrets_from_report(report)
            checks[quality.data_scan.check] = quality_checks.data_scan_outcome(quality.data_scan.check, files, secrets)
        return signals
