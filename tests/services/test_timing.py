"""A grading holds the host shared while it works and alone while it times; waiting too long is our failure."""

from __future__ import annotations

import threading

import pytest

from grader.errors import SandboxFailure
from grader.services.timing import HostGate


@pytest.fixture
def gate(tmp_path):
    return HostGate(str(tmp_path / "lock"), timeout_s=2)


def test_two_gradings_share_the_host(gate):
    with gate.share(), gate.share() as second:
        assert second.figures()["shared_wait"] < 1


def test_timing_waits_for_the_other_grading_to_leave(gate):
    released = threading.Event()
    with gate.share() as timed:
        other = gate.share()
        other.__enter__()
        threading.Timer(0.5, lambda: (other.__exit__(None, None, None), released.set())).start()
        with timed.exclusive() as held:
            assert released.is_set()  # the other grading had to leave first
            assert held["waited_s"] > 0
    figures = timed.figures()
    assert figures["exclusive"] >= 0 and figures["exclusive_to_epoch"] >= figures["exclusive_from_epoch"]


def test_after_timing_the_grading_holds_the_host_shared_again(gate):
    with gate.share() as first:
        with first.exclusive():
            pass
        with gate.share() as other, pytest.raises(SandboxFailure, match="host stayed busy"), other.exclusive():
            pass  # never reached: the first grading holds the host shared again


def test_a_host_that_stays_busy_fails_as_ours(gate):
    with gate.share() as first, gate.share():
        with pytest.raises(SandboxFailure, match="host stayed busy"), first.exclusive():
            pass  # the second grading never leaves within the timeout
