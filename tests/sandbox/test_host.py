"""The host lock keeps timed measurements alone on the cores; the interference window notices when they were not."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

import pytest

from sandbox import Limits, SandboxError, SandboxJob
from sandbox.host import (
    EXCLUSIVE,
    SHARED,
    HostBusy,
    HostLock,
    HostSample,
    InterferenceWindow,
    container_cpu,
    interference_figures,
)

# spawn, not fork: the child must not inherit the parent's open lock files or threads.
CTX = multiprocessing.get_context("spawn")
BASE_IMAGE = os.environ.get("GRADER_BASE_IMAGE") or "grader-base:bookworm"


# ------------------------------------------------------------------ helpers


def _hold(directory: str, mode: str, acquired, release) -> None:
    with getattr(HostLock(directory), mode)():
        acquired.set()
        release.wait(60)


@dataclass
class Holder:
    """Another process that takes the host lock and keeps it until ``release`` is set."""

    process: multiprocessing.process.BaseProcess
    acquired: multiprocessing.synchronize.Event
    release: multiprocessing.synchronize.Event


@contextlib.contextmanager
def holder(directory, mode: str):
    acquired, release = CTX.Event(), CTX.Event()
    process = CTX.Process(target=_hold, args=(str(directory), mode, acquired, release), daemon=True)
    process.start()
    try:
        yield Holder(process, acquired, release)
    finally:
        release.set()
        process.join(10)
        if process.is_alive():
            process.kill()


def wait_until_shared_is_refused(lock: HostLock, within_s: float = 20) -> None:
    """Return once a new shared request is refused: a writer now waits at the turnstile."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            with lock.shared(timeout_s=0.05):
                pass
        except HostBusy:
            return
        time.sleep(0.01)
    pytest.fail("shared requests were never refused")


# --------------------------------------------------------------------- lock


def test_lock_directory_is_created(tmp_path):
    directory = tmp_path / "not" / "yet"
    with HostLock(directory).shared(timeout_s=1) as lease:
        assert lease.mode == SHARED
    assert directory.is_dir()


def test_shared_holders_coexist(tmp_path):
    with holder(tmp_path, SHARED) as other:
        assert other.acquired.wait(20)
        with HostLock(tmp_path).shared(timeout_s=5) as lease:
            assert lease.mode == SHARED
            assert other.process.is_alive()


@pytest.mark.parametrize("held,wanted", [(SHARED, EXCLUSIVE), (EXCLUSIVE, SHARED)])
def test_a_request_waits_for_the_other_mode_to_leave(tmp_path, held, wanted):
    request = getattr(HostLock(tmp_path), wanted)
    with holder(tmp_path, held) as other:
        assert other.acquired.wait(20)
        with pytest.raises(HostBusy):
            with request(timeout_s=0.1):
                pass
        other.release.set()
        other.process.join(10)
        with request(timeout_s=10) as lease:
            assert lease.mode == wanted


def test_waiting_exclusive_holds_back_new_shared_requests(tmp_path):
    lock = HostLock(tmp_path)
    with holder(tmp_path, SHARED) as reader:
        assert reader.acquired.wait(20)
        with holder(tmp_path, EXCLUSIVE) as writer:
            wait_until_shared_is_refused(lock)  # the writer waits for the reader and bars newcomers
            assert not writer.acquired.is_set()

            late_acquired = threading.Event()
            writer_released_first: list[bool] = []

            def late_reader():
                with lock.shared(timeout_s=30):
                    writer_released_first.append(writer.release.is_set())
                    late_acquired.set()

            thread = threading.Thread(target=late_reader, daemon=True)
            thread.start()

            reader.release.set()
            assert writer.acquired.wait(20)
            assert not late_acquired.is_set()

            writer.release.set()
            thread.join(30)
            assert late_acquired.is_set()
            assert writer_released_first == [True]


def test_timeout_raises_host_busy(tmp_path):
    lock = HostLock(tmp_path)
    with holder(tmp_path, EXCLUSIVE) as writer:
        assert writer.acquired.wait(20)
        with pytest.raises(HostBusy) as caught:
            with lock.shared(timeout_s=0.1):
                pass
    busy = caught.value
    assert isinstance(busy, SandboxError)
    assert busy.mode == SHARED and busy.waited_s >= 0.1 - 1e-6
    assert "host busy" in str(busy)
    assert str(pickle.loads(pickle.dumps(busy))) == str(busy)


def test_threads_of_one_process_exclude_each_other(tmp_path):
    lock = HostLock(tmp_path)
    acquired, release = threading.Event(), threading.Event()

    def hold():
        with lock.exclusive():
            acquired.set()
            release.wait(30)

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    try:
        assert acquired.wait(10)
        with pytest.raises(HostBusy):
            with lock.shared(timeout_s=0.05):
                pass
    finally:
        release.set()
        thread.join(10)


def test_lease_says_how_long_it_waited(tmp_path):
    lock = HostLock(tmp_path)
    leases = []

    def measure():
        with lock.exclusive(timeout_s=30) as lease:
            leases.append(lease)

    with holder(tmp_path, SHARED) as reader:
        assert reader.acquired.wait(20)
        thread = threading.Thread(target=measure, daemon=True)
        thread.start()
        wait_until_shared_is_refused(lock)  # the measurement is now waiting
        reader.release.set()
        thread.join(30)
    assert leases and leases[0].waited_s > 0


# ------------------------------------------------------------ CPU sampling


def _stats(usage_ns, throttled_ns=0, throttled_periods=0, periods=0):
    return {
        "read": "2026-11-28T09:00:00.000000000Z",
        "cpu_stats": {
            "cpu_usage": {"total_usage": usage_ns},
            "throttling_data": {"throttled_time": throttled_ns, "throttled_periods": throttled_periods, "periods": periods},
        },
    }


class FakeContainer:
    """Answers ``stats()`` from a list of readings (an exception is raised instead of returned)."""

    def __init__(self, name, *readings):
        self.name = name
        self.readings = list(readings)

    def stats(self, **kwargs):
        reading = self.readings.pop(0)
        if isinstance(reading, Exception):
            raise reading
        return reading


def test_container_cpu_reads_usage_and_throttling():
    cpu = container_cpu(FakeContainer("app", _stats(5_000, 7_000, 3, 9)))
    assert cpu == {"usage_ns": 5_000, "throttled_ns": 7_000, "throttled_periods": 3, "periods": 9}


@pytest.mark.parametrize(
    "reading",
    [
        RuntimeError("404 Client Error: No such container"),
        {"read": "0001-01-01T00:00:00Z", "cpu_stats": {"cpu_usage": {"total_usage": 0}}},  # stopped
        {"read": "2026-11-28T09:00:00Z"},  # keys missing
    ],
    ids=["raises", "stopped", "missing-keys"],
)
def test_container_cpu_never_raises(reading):
    cpu = container_cpu(FakeContainer("app", reading))
    assert set(cpu) == {"usage_ns", "throttled_ns", "throttled_periods", "periods"}
    assert cpu["usage_ns"] is None


def _host(at, busy_s, self_s=0.0, load=0.5):
    return HostSample(at=at, busy_s=busy_s, loadavg_1m=load, self_s=self_s)


def test_figures_count_only_cpu_beyond_own_as_other():
    own_start = {"app": container_cpu(FakeContainer("app", _stats(0)))}
    own_end = {"app": container_cpu(FakeContainer("app", _stats(1_000_000_000)))}
    figures = interference_figures(_host(0, 100), _host(2, 103, self_s=0.2), own_start, own_end, threshold_cores=0.3)
    assert figures["seconds"] == 2
    assert figures["host_busy_cores"] == 1.5
    assert figures["own_cores"] == 0.6  # 1 s of the app and 0.2 s of this process, over 2 s
    assert figures["other_cores"] == 0.9
    assert figures["interfered"] is True
    assert figures["reason"] == "other processes used 0.90 cores while measuring (threshold 0.3)"


def test_cpu_reported_by_the_run_itself_counts_as_own():
    figures = interference_figures(_host(0, 100), _host(2, 102), {}, {}, threshold_cores=0.3, extra_own_s=1.5)
    assert figures["own_cores"] == 0.75
    assert figures["other_cores"] == 0.25
    assert figures["interfered"] is False


def test_figures_below_threshold_are_not_interference():
    figures = interference_figures(_host(0, 100), _host(2, 100.4), {}, {}, threshold_cores=0.3)
    assert figures["other_cores"] == 0.2
    assert figures["interfered"] is False and figures["reason"] is None


def test_figures_report_throttling_per_container_and_in_total():
    own_start = {"app": _stats(0, 0, 10, 20), "db": _stats(0, 0, 0, 0)}
    own_end = {"app": _stats(0, 2_000_000_000, 25, 50), "db": _stats(0, 500_000_000, 5, 10)}
    own_start = {k: container_cpu(FakeContainer(k, v)) for k, v in own_start.items()}
    own_end = {k: container_cpu(FakeContainer(k, v)) for k, v in own_end.items()}
    figures = interference_figures(_host(0, 0), _host(1, 0), own_start, own_end)
    assert figures["throttled_s"] == {"app": 2.0, "db": 0.5}
    assert figures["throttled_s_total"] == 2.5
    assert figures["throttled_ratio_by_container"] == {"app": 0.5, "db": 0.5}
    assert figures["throttled_ratio"] == 0.5  # (15 + 5) / (30 + 10)


def test_unread_container_is_listed_and_its_cpu_counts_as_other():
    own_start = {"app": container_cpu(FakeContainer("app", _stats(0)))}
    own_end = {"app": container_cpu(FakeContainer("app", RuntimeError("gone")))}
    figures = interference_figures(_host(0, 0), _host(1, 1), own_start, own_end, threshold_cores=0.3)
    assert figures["unread"] == ["app"]
    assert figures["other_cores"] == 1.0
    assert "app unread" in figures["reason"]


def test_window_figures_are_json_able():
    import json

    window = InterferenceWindow.start([FakeContainer("app", _stats(0), _stats(10))])
    figures = window.stop()
    assert json.loads(json.dumps(figures)) == figures
    assert figures["cores"] == os.cpu_count()


class FakeService:
    """Like the runner's Service: reports its CPU through ``cpu()``."""

    def __init__(self, *readings):
        self.readings = list(readings)

    def cpu(self):
        return self.readings.pop(0)


def test_window_names_what_it_is_given_and_asks_services_for_their_cpu():
    app = FakeService(container_cpu(FakeContainer("x", _stats(0))), container_cpu(FakeContainer("x", _stats(10))))
    db = FakeContainer("grader-db-1234", _stats(0, 0, 1, 2), _stats(0, 1_000_000_000, 3, 4))
    figures = InterferenceWindow.start({"app": app, "database": db}).stop()
    assert figures["unread"] == []
    assert figures["throttled_s"] == {"app": 0.0, "database": 1.0}


def test_window_over_a_busy_loop_reports_interference():
    busy = subprocess.Popen(
        [sys.executable, "-c", "print('ready', flush=True)\nwhile True: pass"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert busy.stdout.readline().strip() == "ready"
        window = InterferenceWindow.start([], threshold_cores=0.1)
        time.sleep(0.5)
        figures = window.stop()
    finally:
        busy.kill()
        busy.wait()
    assert figures["other_cores"] > 0
    assert figures["interfered"] is True
    assert "other processes used" in figures["reason"]


# ------------------------------------------------------------------ Docker


@pytest.fixture
def throttled_container(docker_sandbox):
    """A container spinning in a shell loop on a 0.2-core quota, removed afterwards."""
    job = SandboxJob(image=BASE_IMAGE, command=("sh", "-c", "while :; do :; done"), limits=Limits(cpus=0.2))
    with docker_sandbox.service(job) as service:
        container = service.container
        deadline = time.monotonic() + 30
        while (container_cpu(container)["throttled_periods"] or 0) == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        yield container


def test_container_cpu_of_a_throttled_container(throttled_container):
    cpu = container_cpu(throttled_container)
    assert cpu["usage_ns"] > 0
    assert cpu["throttled_periods"] > 0
    assert cpu["periods"] >= cpu["throttled_periods"]
    assert cpu["throttled_ns"] > 0


def test_window_over_own_container_reports_its_throttling(throttled_container):
    window = InterferenceWindow.start({"app": throttled_container})
    time.sleep(0.5)
    figures = window.stop()
    assert figures["unread"] == []
    assert figures["throttled_s"]["app"] > 0
    assert figures["throttled_ratio_by_container"]["app"] > 0
    assert figures["own_cores"] > 0
