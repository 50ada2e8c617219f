"""The starter's figures, measured once per host and reused while a short fresh probe agrees.

The starter never changes between gradings of one assessment version, and it
is the slowest thing a perf run measures (about half of a grading).  Its
figures are kept per host and per exact content (assessment, images, options);
every run still starts the starter and probes it briefly (the same endpoints
under a short load), and measures it in full again when any probe figure moved
more than ``max_drift`` from the probe taken beside the cached figures, so a
machine that got slower or faster never scores against a stale baseline.
"""

from __future__ import annotations

import hashlib
import json
import math

from grader.strategies.perf.figures import load
from grader.strategies.perf.options import PerfOptions


def cache_key(slug: str, content_hash: str, images: tuple[str, ...], options: PerfOptions) -> str:
    """Everything the starter's figures depend on: its code and data, the images, the measure options."""
    digest = hashlib.sha256()
    for part in (slug, content_hash, *images, json.dumps(options.model_dump(mode="json"), sort_keys=True)):
        digest.update(part.encode() + b"\0")
    return f"{slug}-{digest.hexdigest()[:32]}"


def probe_options(options: PerfOptions) -> dict:
    """PERF_OPTIONS of the probe: the assessment's overrides over its full measurement.

    A non-empty mapping is merged one level deep (``load: {duration_s: 1}`` keeps the
    rest of the load profile); anything else, an empty mapping included, replaces.
    """
    merged = dict(options.measure)
    for key, value in options.baseline.probe.items():
        if value and isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def drift(cached: dict | None, fresh: dict | None) -> float:
    """The largest relative change of p95 between two probes, over the endpoints the probe loads.

    Infinite when a figure is missing on either side: then nothing is reused.
    """
    endpoints = sorted(((cached or {}).get("load") or {}).get("endpoints") or {})
    if not endpoints or not fresh:
        return math.inf
    worst = 0.0
    for endpoint in endpoints:
        before, after = load(cached, endpoint).get("p95"), load(fresh, endpoint).get("p95")
        if not before or after is None:
            return math.inf
        worst = max(worst, abs(float(after) - float(before)) / float(before))
    return worst
