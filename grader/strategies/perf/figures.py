"""Reading the measure script's figures: statements per endpoint and size, load per endpoint."""

from __future__ import annotations


def queries(figures: dict | None, endpoint: str) -> dict:
    return ((figures or {}).get("queries") or {}).get(endpoint) or {}


def load(figures: dict | None, endpoint: str) -> dict:
    """Load figures of one endpoint, or of the whole mix for ``"total"``."""
    totals = (figures or {}).get("load") or {}
    return (totals.get("total") if endpoint == "total" else (totals.get("endpoints") or {}).get(endpoint)) or {}


def answers(figures: dict | None, phase: str, endpoint: str) -> dict:
    """How the answers of one endpoint compared with the oracle: ``phase`` is ``probes`` or ``load``."""
    return (((figures or {}).get("answers") or {}).get(phase) or {}).get(endpoint) or {}


def brief_queries(size: dict | None) -> dict | None:
    if not size:
        return None
    return {k: size.get(k) for k in ("median", "counts", "top_statements") if k in size}


def fmt(value) -> str:
    return "?" if value is None else f"{value:g}"
