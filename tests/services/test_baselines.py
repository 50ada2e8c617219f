"""Starter baselines: kept per host, reused only while a fresh probe agrees with the one beside them."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from grader.services import catalog
from grader.services.baselines import HostBaselines
from grader.strategies.perf.baseline import cache_key, drift, probe_options

PERF = catalog.load(Path(__file__).resolve().parents[2] / "assessments" / "perf-challenge")


def _probe(**p95) -> dict:
    return {"load": {"endpoints": {name: {"p95": value} for name, value in p95.items()}}}


def test_a_baseline_is_read_back_as_written(tmp_path):
    store = HostBaselines(tmp_path)
    store.put("perf-challenge-0123456789", {"figures": {"load": {}}, "measured_at": "2026-11-28T09:00:00+00:00"})
    assert store.get("perf-challenge-0123456789")["measured_at"] == "2026-11-28T09:00:00+00:00"


def test_a_missing_or_damaged_baseline_is_absent(tmp_path):
    store = HostBaselines(tmp_path)
    (tmp_path / "perf-challenge-0123456789.json").write_text("{not json")
    assert store.get("perf-challenge-0123456789") is None and store.get("perf-challenge-9876543210") is None


def test_a_key_cannot_leave_the_directory(tmp_path):
    store = HostBaselines(tmp_path)
    assert store.get("../../etc/passwd") is None
    with pytest.raises(ValueError, match="bad baseline key"):
        store.put("../outside", {})


def test_the_key_changes_with_the_images():
    images = ("grader-runner:1", "grader-tester:1", "grader-db:1")
    same = cache_key("perf-challenge", PERF.spec.content_hash, images, PERF.options)
    assert same == cache_key("perf-challenge", PERF.spec.content_hash, images, PERF.options)
    assert same != cache_key("perf-challenge", PERF.spec.content_hash, (*images[:2], "grader-db:2"), PERF.options)


def test_drift_is_the_largest_relative_change_of_a_probed_p95():
    assert drift(_probe(orders=40, detail=300), _probe(orders=50, detail=300)) == pytest.approx(0.25)


def test_a_probe_missing_a_figure_reuses_nothing():
    assert math.isinf(drift(_probe(orders=40), _probe(detail=300)))
    assert math.isinf(drift(None, _probe(orders=40)))


def test_the_probe_overrides_the_full_measurement_one_level_deep():
    probe = probe_options(PERF.options)
    assert probe["queries"] == {}  # no statement counts in a probe
    assert set(probe["load"]["mix"]) == {"book-detail", "orders"}
    assert probe["load"]["request_timeout_s"] == PERF.options.measure["load"]["request_timeout_s"]  # kept
