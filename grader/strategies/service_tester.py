"""Strategy ``service-tester``: start the candidate's app, test it black-box from another container.

The hidden suite never enters the candidate's container: the app runs in the
runner image with its code and dependencies mounted read-only; the suite runs
in the tester image on a per-run internal network (no egress) and reaches the
app only over HTTP at ``http://app:<port>``.  The verdict file is written by
the tester's own plugin, so nothing the candidate's code does can change it.
"""

from __future__ import annotations

import shlex
import uuid

from grader.errors import GradingTimeout, SandboxFailure
from grader.services.install import DEPS_MOUNT
from grader.strategies.base import GradingContext, StrategyOutcome, not_run, outcomes_from_report
from sandbox import Mount, SandboxJob, Verdict
from sandbox.errors import SandboxError
from sandbox.job import Limits
from sandbox.runner import LABEL_RUN, LABEL_WORKER

APP_ALIAS = "app"
APP_DIR = "/app"
SUITE_DIR = "/suite"
OUT_DIR = "/out"
RESULTS = f"{OUT_DIR}/results.json"


class ServiceTester:
    def __init__(self, context: GradingContext) -> None:
        self.ctx = context
        self.spec = context.spec
        self.sandbox = context.sandbox

    @property
    def app_url(self) -> str:
        return f"http://{APP_ALIAS}:{self.spec.app.port}"

    def app_job(self, network: str) -> SandboxJob:
        app = self.spec.app
        command = shlex.join(app.command)
        if app.migrate_command and app.migrate_if_exists and (self.ctx.checkout / app.migrate_if_exists).exists():
            command = f"{shlex.join(app.migrate_command)} || {{ echo 'migration failed' >&2; exit 90; }}; exec {command}"
        else:
            command = f"exec {command}"
        env = {"PYTHONPATH": f"{APP_DIR}:{DEPS_MOUNT}/site", "PATH": f"{DEPS_MOUNT}/site/bin:/opt/tools/bin:/usr/bin:/bin", **app.env}
        return SandboxJob(
            image=self.ctx.images.runner,
            command=("sh", "-c", command),
            limits=app.limits.to_limits(),
            env=tuple(env.items()),
            workdir=APP_DIR,
            mounts=(Mount(self.ctx.code_volume, APP_DIR), Mount(self.ctx.deps_volume, DEPS_MOUNT)),
            network=network,
            network_alias=APP_ALIAS,
            writable_paths=tuple(app.writable),
            labels=((LABEL_RUN, self.ctx.run_id), ("grader.stage", "app")),
        )

    def tester_job(self, network: str, suite: str, out: str, command: tuple[str, ...], limits: Limits) -> SandboxJob:
        env = {"APP_URL": self.app_url, **self.spec.app.env, **self.spec.tester.env}
        return SandboxJob(
            image=self.ctx.images.tester,
            command=command,
            limits=limits,
            env=tuple(env.items()),
            workdir=SUITE_DIR,
            mounts=(Mount(suite, SUITE_DIR), Mount(out, OUT_DIR, read_only=False)),
            network=network,
            result_path=RESULTS,
            labels=((LABEL_RUN, self.ctx.run_id), ("grader.stage", "tester")),
        )

    def run(self) -> StrategyOutcome:
        labels = {LABEL_RUN: self.ctx.run_id, LABEL_WORKER: self.sandbox.worker}
        tag = uuid.uuid4().hex[:8]
        suite = f"grader-suite-{self.ctx.run_id}-{tag}"
        out = f"grader-out-{self.ctx.run_id}-{tag}"
        image = self.ctx.images.tester
        try:
            self.sandbox.volume_from_dir(suite, self.spec.suite_dir, image=image, labels=labels)
            self.sandbox.create_volume(out, image=image, owner=10001, labels=labels)
            with self.sandbox.network(self.ctx.run_id) as network, self.sandbox.service(self.app_job(network)) as app:
                startup = self.spec.app.startup_timeout_s
                wait = self.sandbox.run(
                    self.tester_job(
                        network, suite, out,
                        ("python", "-m", "grader_wait", f"{self.app_url}{self.spec.app.health_path}", str(startup)),
                        Limits(timeout_s=startup + 15, memory_mb=256),
                    )
                )
                if not wait.ok:
                    state = app.state()
                    if state.get("Running"):
                        why = f"the app did not answer {self.spec.app.health_path} within {startup:.0f} s"
                    elif state.get("OOMKilled"):
                        why = "the app ran out of memory while starting"
                    else:
                        why = f"the app exited during startup with code {state.get('ExitCode')}"
                    logs = {"app": app.logs(), "startup": wait.stdout[-2000:]}
                    return StrategyOutcome(not_run(self.spec, why), notes=why, logs=logs)
                tester_limits = self.spec.tester.limits.to_limits()
                command = (
                    "python", "-m", "pytest", "-p", "grader_report", f"--grader-report={RESULTS}",
                    "-p", "no:cacheprovider", "-q", "-rN", "--color=no", f"--rootdir={SUITE_DIR}",
                    *self.spec.tester.pytest_args, SUITE_DIR,
                )
                result = self.sandbox.run(self.tester_job(network, suite, out, command, tester_limits))
                app_logs = app.logs()
        except SandboxError as exc:
            raise SandboxFailure(f"the sandbox failed while testing: {exc}") from exc
        finally:
            self.sandbox.remove_volume(suite)
            self.sandbox.remove_volume(out)
        if result.verdict is Verdict.TIMEOUT:
            raise GradingTimeout(f"the hidden tests did not finish within {tester_limits.timeout_s:.0f} s")
        if result.result is None and result.verdict is Verdict.OOM:
            raise SandboxFailure("the tester ran out of memory")
        checks = outcomes_from_report(
            self.spec, result.result, f"the hidden suite produced no report ({result.result_error or result.verdict.value})"
        )
        return StrategyOutcome(
            checks, logs={"app": app_logs, "tester": (result.stdout + result.stderr)[-16000:]}, image_id=result.image_id
        )
