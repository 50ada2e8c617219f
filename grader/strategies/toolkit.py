"""The steps every strategy takes: start apps and wait for health, run the hidden suite, map how it ended.

Both strategies build on these, so the pytest command line, the timeout and
out-of-memory handling and the environment the candidate's code runs under are
written once.  Steps that do not depend on each other run side by side
(``in_parallel``): two app instances start, are waited for and stop together.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from grader.errors import GradingTimeout, InfrastructureFailure, SandboxFailure
from grader.strategies.base import GradingContext
from sandbox import Limits, Mount, SandboxJob, SandboxResult, Service, Verdict
from sandbox.layout import APP_DIR, DEPS_MOUNT, OUT_DIR, SUITE_DIR, runner_env

T = TypeVar("T")
REPORT = f"{OUT_DIR}/results.json"
WAIT_LIMITS_MB = 256


def in_parallel(*calls: Callable[[], T]) -> list[T]:
    """Run ``calls`` in threads and return their results in order; the first exception is raised."""
    if len(calls) == 1:
        return [calls[0]()]
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(call) for call in calls]
        return [future.result() for future in futures]


def app_job(
    ctx: GradingContext,
    *,
    network: str,
    alias: str,
    env: Mapping[str, str],
    code_volume: str,
    deps_volume: str,
    shell: str | None = None,
    mounts: tuple[Mount, ...] = (),
) -> SandboxJob:
    """The candidate's (or the starter's) app in the runner image, reachable as ``http://<alias>:<port>``."""
    app = ctx.spec.app
    return SandboxJob(
        image=ctx.images.runner,
        command=("sh", "-c", shell or f"exec {shlex.join(app.command)}"),
        limits=app.limits.to_limits(),
        env=tuple({**runner_env(), **env}.items()),
        workdir=APP_DIR,
        mounts=(Mount(code_volume, APP_DIR), Mount(deps_volume, DEPS_MOUNT), *mounts),
        network=network,
        network_alias=alias,
        writable_paths=tuple(app.writable),
        labels=ctx.scope.job_labels(f"app-{alias}"),
    )


# Set to an integer, the hidden suite runs in a random order drawn from it (the tester plugin's
# --grader-seed): tests set it to prove verdicts do not depend on order. Unset (production): file order.
SUITE_SEED_ENV = "GRADER_SUITE_SEED"


def suite_command(ctx: GradingContext) -> tuple[str, ...]:
    """The hidden suite's pytest command line; ``$GRADER_SUITE_SEED`` shuffles its order."""
    seed = os.environ.get(SUITE_SEED_ENV, "").strip()
    order = (f"--grader-seed={int(seed)}",) if seed else ()
    return (
        "python", "-m", "pytest", "-p", "grader_report", f"--grader-report={REPORT}",
        "-p", "no:cacheprovider", "-q", "-rN", "--color=no", f"--rootdir={SUITE_DIR}",
        *order, *ctx.spec.tester.pytest_args, SUITE_DIR,
    )


class TestBench:
    """The tester's side of a run: the network, the hidden suite (read-only) and one output volume."""

    def __init__(self, ctx: GradingContext, network: str, env: Mapping[str, str]) -> None:
        self.ctx = ctx
        self.network = network
        self.env = dict(env)
        image = ctx.images.tester
        self.suite, self.out = in_parallel(
            lambda: ctx.scope.volume("suite", image=image, source=ctx.spec.suite_dir),
            lambda: ctx.scope.volume("out", image=image, writable=True),
        )

    def job(self, command: tuple[str, ...], limits: Limits, *, result_path: str | None = None,
            env: Mapping[str, str] | None = None, stage: str = "tester") -> SandboxJob:
        return SandboxJob(
            image=self.ctx.images.tester,
            command=command,
            limits=limits,
            env=tuple({**self.env, **(env or {})}.items()),
            workdir=SUITE_DIR,
            mounts=(Mount(self.suite, SUITE_DIR), Mount(self.out, OUT_DIR, read_only=False)),
            network=self.network,
            result_path=result_path,
            labels=self.ctx.scope.job_labels(stage),
        )

    def service(self, command: tuple[str, ...], limits: Limits, *, alias: str, env: Mapping[str, str]) -> Service:
        """A helper service from the hidden suite's folder (e.g. a fake external API)."""
        return self.ctx.scope.service(SandboxJob(
            image=self.ctx.images.tester, command=command, limits=limits, env=tuple(env.items()), workdir=SUITE_DIR,
            mounts=(Mount(self.suite, SUITE_DIR),), network=self.network, network_alias=alias,
            labels=self.ctx.scope.job_labels(alias),
        ))

    def wait(self, url: str, timeout_s: float) -> SandboxResult:
        """Until ``url`` answers (http 200, a tcp port, a postgresql login) or ``timeout_s`` passes."""
        command = ("python", "-m", "grader_wait", url, str(timeout_s))
        return self.ctx.scope.run(self.job(command, Limits(timeout_s=timeout_s + 15, memory_mb=WAIT_LIMITS_MB), stage="wait"))

    def wait_apps(self, apps: Mapping[str, Service], logs: dict[str, str], log_name: str = "app") -> str | None:
        """None when every app answers its health URL; else why the first one did not, in words.

        The failing app's output is kept as ``logs[log_name]``: the candidate reads it.
        """
        app = self.ctx.spec.app
        waits = in_parallel(*(
            (lambda alias=alias: self.wait(f"http://{alias}:{app.port}{app.health_path}", app.startup_timeout_s))
            for alias in apps
        ))
        for service, wait in zip(apps.values(), waits, strict=True):
            if not wait.ok:
                logs.update({log_name: service.logs(), "startup": wait.stdout[-2000:]})
                return startup_failure(service, app.health_path, app.startup_timeout_s)
        return None

    def run_suite(self, *, env: Mapping[str, str] | None = None) -> SandboxResult:
        """The hidden suite; a timeout is the grader's limit, an out-of-memory tester is ours.

        A dead engine never reaches here as "no report": the runner raises when the
        engine's stream breaks. A tester killed from outside (its pytest is PID 1, see
        ``killed_from_outside``) is ours, not a report the candidate's app failed to earn.
        """
        limits = self.ctx.spec.tester.limits.to_limits()
        result = self.ctx.scope.run(self.job(suite_command(self.ctx), limits, result_path=REPORT, env=env))
        if result.verdict is Verdict.TIMEOUT:
            raise GradingTimeout(f"the hidden tests did not finish within {limits.timeout_s:.0f} s")
        if result.result is None and result.verdict is Verdict.OOM:
            raise SandboxFailure("the tester ran out of memory")
        if result.result is None and result.exit_code == 137:
            raise InfrastructureFailure("the tester's container was killed from outside the sandbox "
                                        "(SIGKILL, not its memory or time limit)")
        return result


def stop_all(services: Mapping[str, Service], logs: dict[str, str], timeout: int = 10) -> None:
    """Stop apps together (gracefully: each flushes its data) and keep their logs."""
    def stop(name: str, service: Service) -> None:
        service.stop(timeout=timeout)
        logs[name] = service.logs()

    in_parallel(*((lambda n=name, s=service: stop(n, s)) for name, service in services.items()))


def startup_failure(app: Service, health_path: str, startup_s: float) -> str:
    """Why an app never became healthy, in words, from its container's state.

    Reading the state asks the engine again, so a dead engine raises (ours, retried)
    instead of reading as the app exiting; a container stopped from outside its own
    limits is ours too (``killed_from_outside``).
    """
    state = app.state()
    if state.get("Running"):
        return f"the app did not answer {health_path} within {startup_s:.0f} s"
    if state.get("OOMKilled"):
        return "the app ran out of memory while starting"
    outside = killed_from_outside(state, app.kill_signals)
    if outside:
        raise InfrastructureFailure(f"the app's container {outside} before it became healthy")
    return f"the app exited during startup with code {state.get('ExitCode')}"


def killed_from_outside(state: Mapping, kill_signals: Callable[[], list[str]]) -> str | None:
    """How a container was stopped by something other than itself or its limits, or None.

    Exit code 137 without the memory limit's OOM flag is a SIGKILL, but an app may also
    simply exit with 137 (and the kernel ignores a SIGKILL that PID 1 sends itself): only
    the engine's record of a kill it was asked to deliver (``docker kill``, an engine
    shutting down) makes it ours, so no candidate can turn its own exit into our retry.
    An engine error recorded on the container, or a container marked dead, is the engine's.
    """
    if state.get("Error"):
        return f"was stopped by the Docker engine ({str(state['Error'])[:200]})"
    if state.get("Dead"):
        return "was left dead by the Docker engine"
    if state.get("ExitCode") == 137 and not state.get("OOMKilled") and kill_signals():
        return "was killed from outside the sandbox (SIGKILL, not its memory or time limit)"
    return None
