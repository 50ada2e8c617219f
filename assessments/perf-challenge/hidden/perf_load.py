"""Phase 2 of measure.py: a closed-loop Locust load run in library mode.

Kept apart from measure.py so the Locust-specific parts (user class, event hooks, runner
life cycle) can be read and changed on their own. Nothing here runs on import, and Locust
is imported only inside run_load(): importing Locust monkey-patches the process with
gevent, which must happen before measure.py opens any socket, so measure.py decides when.

Statistics are computed from our own per-request records rather than from Locust's
aggregated stats, because Locust rounds response times into buckets before taking
percentiles, and its totals include whatever finishes after the measurement window.

Requests go through the tester's one capped client (client.py): the same headers, order
and connection handling as the correctness suite and the probes, so the app cannot tell
load from the suite by looking at a request, and cannot stall a user past its cap.  A
seeded sample of each endpoint's successful answers keeps its body (reservoir sampling
over the window, bodies kept up to a cap) for measure.py to check against the oracle
once the window has closed.
"""

from __future__ import annotations

import math
import os
import random
import string
import time
from typing import Any
from urllib.parse import quote


def placeholders(template: str) -> list[str]:
    """Placeholder names of a path template, so callers can check them before a run starts."""
    return [field for _, field, _, _ in string.Formatter().parse(template) if field]


def fill(template: str, values: dict[str, Any]) -> str:
    """Substitute placeholders, percent-encoding them: emails may hold '+', which a query string would read as a space."""
    return template.format_map({name: quote(str(values[name]), safe="") for name in placeholders(template)})


def percentile(sorted_ms: list[float], pct: float) -> float | None:
    """Nearest-rank percentile: an observed value, never an interpolation between two requests."""
    if not sorted_ms:
        return None
    rank = max(1, math.ceil(pct / 100 * len(sorted_ms)))
    return round(sorted_ms[rank - 1], 1)


def summarise(records: list[tuple], window_s: float, unfinished: list[float] = (), stall_ms: float = 2000) -> dict[str, Any]:
    """Figures for one endpoint (or all); failures count in the latencies too, as in Locust, so timeouts are not hidden.

    ``unfinished`` are the ages (ms) of requests still running when the window closed:
    they enter the percentiles as lower bounds.  Without them an app too slow to finish
    anything would look fast, judged only by the few requests that happened to finish.
    Those already older than ``stall_ms`` count as failed in the error rate (a user
    has given up on them); young ones, which every closed loop has, do not.
    """
    times = sorted([r[2] for r in records] + list(unfinished))
    stalled = sum(1 for age in unfinished if age > stall_ms)
    failures = sum(1 for r in records if not r[4])
    ok_sizes = [r[3] for r in records if r[4]]
    return {
        "requests": len(records),
        "failures": failures,
        "error_rate": round((failures + stalled) / (len(records) + stalled), 4) if records or stalled else 0.0,
        "stalled": stalled,
        "rps": round(len(records) / window_s, 2) if window_s > 0 else 0.0,
        "p50": percentile(times, 50),
        "p95": percentile(times, 95),
        "p99": percentile(times, 99),
        "max": round(times[-1], 1) if times else None,
        "avg_bytes": round(sum(ok_sizes) / len(ok_sizes)) if ok_sizes else None,
        "unfinished": len(unfinished),
    }


class Reservoir:
    """A uniform, seeded sample of up to ``size`` answers per endpoint over one window."""

    def __init__(self, size: int, seed: Any, body_cap: int) -> None:
        self.size, self.body_cap = size, body_cap
        self.rng = random.Random(f"{seed}:answers")
        self.seen: dict[str, int] = {}
        self.kept: dict[str, list[dict[str, Any]]] = {}

    def offer(self, name: str, path: str, body: bytes) -> None:
        seen = self.seen[name] = self.seen.get(name, 0) + 1
        kept = self.kept.setdefault(name, [])
        sample = {"endpoint": name, "path": path, "body": body[:self.body_cap], "truncated": len(body) > self.body_cap}
        if len(kept) < self.size:
            kept.append(sample)
        else:
            slot = self.rng.randrange(seen)
            if slot < self.size:
                kept[slot] = sample

    def samples(self) -> list[dict[str, Any]]:
        return [sample for kept in self.kept.values() for sample in kept]


def run_load(app_url: str, load: dict[str, Any], pools: dict[str, list], seed: Any,
             samples: list[dict[str, Any]] | None = None) -> tuple[dict[str, Any], list[str]]:
    """Run the load phase; returns (figures, problems) and never leaves users running past duration + ~2 s.

    With ``samples``, a seeded sample of each endpoint's successful answers (path and body) is
    appended to it, for measure.py to check once the window has closed.
    """
    import gevent
    import httpx
    from client import CappedClient, Caps
    from locust import User, constant
    from locust.env import Environment

    users = int(load["users"])
    spawn_rate = float(load["spawn_rate"])
    duration = float(load["duration_s"])
    timeout = float(load["request_timeout_s"])
    stall_ms = float(load.get("stall_after_s", 2)) * 1000
    mix: dict[str, dict[str, Any]] = load["mix"]
    problems: list[str] = []

    for name, entry in mix.items():
        missing = [p for p in placeholders(entry["path"]) if not pools.get(p)]
        if missing:
            raise ValueError(f"load mix {name}: no sample for placeholder(s) {', '.join(missing)}")

    # (completed_at, name, response_ms, bytes, ok), completed_at in perf_counter seconds.
    records: list[tuple] = []
    reservoir = (Reservoir(int(load.get("answer_samples", 20)), seed, int(load.get("answer_body_kib", 1024)) * 1024)
                 if samples is not None else None)
    caps = Caps(total_s=timeout, connect_s=min(10.0, timeout))
    window = {"start": math.inf, "end": math.inf, "open": False}

    in_flight: dict[int, tuple[str, float]] = {}  # id -> (endpoint, started at)
    tickets = iter(range(1_000_000_000))

    def make_task(name: str, template: str):
        def task(user) -> None:
            path = fill(template, {p: user.rng.choice(pools[p]) for p in placeholders(template)})
            ticket = next(tickets)
            started = time.perf_counter()
            in_flight[ticket] = (name, started)
            response, exception = None, None
            try:
                response = user.client.get(path)
            except httpx.HTTPError as exc:  # no answer, or one past a cap: a failed request
                exception = exc
            finally:
                in_flight.pop(ticket, None)
            elapsed_ms = (time.perf_counter() - started) * 1000
            body = response.content if response is not None else b""
            env.events.request.fire(request_type="GET", name=name, response_time=elapsed_ms,
                                    response_length=len(body), response=response, exception=exception, context={})
            if (reservoir is not None and response is not None and 200 <= response.status_code < 300
                    and window["open"] and started >= window["start"]):
                reservoir.offer(name, path, body)
        task.__name__ = f"get_{name.replace('-', '_')}"
        return task

    counter = iter(range(1_000_000))

    def user_init(self, environment) -> None:
        User.__init__(self, environment)
        # A seeded generator per user: the request mix is reproducible apart from scheduling order.
        self.rng = random.Random(f"{seed}:load:{next(counter)}")
        # One keep-alive connection per user, like a browser tab; the suite's client, capped.
        self.client = CappedClient(app_url, caps, connections=1)

    def user_stop(self) -> None:
        self.client.close()

    # The tester's own capped client rather than Locust's FastHttpUser: the app must not be able to
    # tell load from the correctness suite by its requests.  It costs more CPU per request; the
    # generator's CPU is watched (generator_cpu_warning) and counted as the run's own.
    user_class = type("PerfUser", (User,), {
        "__init__": user_init,
        "on_stop": user_stop,
        "host": app_url.rstrip("/"),
        "wait_time": constant(0),
        "tasks": {make_task(name, entry["path"]): int(entry.get("weight", 1)) for name, entry in mix.items()},
    })

    env = Environment(user_classes=[user_class], host=app_url.rstrip("/"))

    def on_request(name, response_time, response_length, response=None, exception=None, **_kw) -> None:
        if not window["open"]:
            return
        now = time.perf_counter()
        if now - response_time / 1000 < window["start"] - 0.001:
            return
        status = getattr(response, "status_code", 0) or 0
        ok = exception is None and 200 <= status < 300
        records.append((now, name, float(response_time), int(response_length or 0), ok))

    def on_user_error(user_instance, exception, tb, **_kw) -> None:
        if len(problems) < 20:
            problems.append(f"load: user error {type(exception).__name__}: {exception}")

    env.events.request.add_listener(on_request)
    env.events.user_error.add_listener(on_user_error)

    runner = env.create_local_runner()
    timeline: list[dict[str, Any]] = []

    def sample_timeline() -> None:
        tick = 1
        while True:
            target = window["start"] + tick
            gevent.sleep(max(0.0, target - time.perf_counter()))
            if target > window["end"] + 0.001:
                return
            recent = sorted(r[2] for r in records if target - 1 < r[0] <= target)
            timeline.append({
                "t": tick,
                "users": runner.user_count,
                "rps": float(len(recent)),
                "p50": percentile(recent, 50),
                "p95": percentile(recent, 95),
                "failures": sum(1 for r in records if r[0] <= target and not r[4]),
            })
            tick += 1

    # The host's load average around the run: other work on the machine is the main source of noise.
    load_before = [round(x, 2) for x in os.getloadavg()]
    window["start"] = time.perf_counter()
    window["end"] = window["start"] + duration
    window["open"] = True
    runner.start(users, spawn_rate=spawn_rate)
    sampler = gevent.spawn(sample_timeline)
    try:
        gevent.sleep(max(0.0, window["end"] - time.perf_counter()))
        peak_users = runner.user_count
    finally:
        window["open"] = False
        closed_at = time.perf_counter()
        unfinished = [(name, (closed_at - started) * 1000) for name, started in list(in_flight.values())
                      if started >= window["start"]]
        # quit() kills the users; requests still in flight are dropped, not counted late.
        with gevent.Timeout(5, False):
            runner.quit()
        sampler.join(timeout=2)
        sampler.kill(block=False)
    stopped_after = time.perf_counter() - window["end"]
    if stopped_after > 2.5:
        problems.append(f"load: runner took {stopped_after:.1f} s to stop after the run")

    window_s = closed_at - window["start"]
    kept = [r for r in records if r[0] <= closed_at]
    endpoints = {
        name: summarise([r for r in kept if r[1] == name], window_s, [age for n, age in unfinished if n == name], stall_ms)
        for name in mix
    }
    figures = {
        "users": users,
        "peak_users": peak_users,
        "spawn_rate": spawn_rate,
        "duration_s": duration,
        "window_s": round(window_s, 2),
        "request_timeout_s": timeout,
        "endpoints": endpoints,
        "total": summarise(kept, window_s, [age for _, age in unfinished], stall_ms),
        "timeline": timeline,
        "generator_cpu_warning": bool(getattr(runner, "cpu_warning_emitted", False)),
        "stop_s": round(stopped_after, 2),
        "host_load_avg": {"before": load_before, "after": [round(x, 2) for x in os.getloadavg()]},
    }
    if figures["generator_cpu_warning"]:
        problems.append("load: the load generator's CPU was saturated (>90%); figures understate the app's speed")
    if reservoir is not None:
        samples.extend(reservoir.samples())
    return figures, problems
