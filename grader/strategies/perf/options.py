"""The perf-harness options an assessment's data may set (``options:`` in assessment.yaml).

Parsed once, by the catalog, when the assessment is loaded.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from grader.specs import LimitsSpec


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseOptions(_Strict):
    image: str  # a name under the assessment's ``images``
    command: list[str]  # how that image serves (it reads the *_DB_PASSWORD variables)
    alias: str = "db"
    port: int = 5432
    database: str = "bookshop"  # the candidate's copy of the data
    starter_database: str = "starter"  # the starter's identical copy
    role: str = "app"  # the candidate's role: query counts are filtered by it
    starter_role: str = "starter"
    writable: list[str] = ["/pg"]  # the data directory is copied onto this tmpfs at start
    startup_timeout_s: float = 60
    limits: LimitsSpec = LimitsSpec(memory_mb=2048, cpus=1, pids=512, tmpfs_mb=1024, fsize_mb=1024, nofile=4096, timeout_s=1800)


class StubOptions(_Strict):
    """The fake external service: a script of the hidden suite, run in the tester image."""

    script: str = "stock_service.py"
    alias: str = "stock"
    port: int = 9000
    args: list[str] = []
    env_var: str = "EXTERNAL_API_URL"  # how the apps learn its URL
    limits: LimitsSpec = LimitsSpec(memory_mb=256, cpus=0.5, pids=512, timeout_s=1800)


class QueryCheck(_Strict):
    endpoint: str
    max_per_request: float = Field(6, ge=0)  # statements at the large size
    max_growth: float = Field(1, ge=0)  # large minus small: an N+1 grows with the page


class RatioCheck(_Strict):
    endpoint: str  # a key of the load mix, or "total"
    metric: Literal["p95", "rps"]  # p95: starter / candidate; rps (successful): candidate / starter
    zero_at: float = Field(gt=0)  # ratios at or below score nothing
    full_at: float = Field(gt=0)  # ratios at or above score everything; log-scaled between
    max_error_rate: float = Field(0.05, ge=0, le=1)  # a faster endpoint that fails this often scores nothing


class ErrorRateCheck(_Strict):
    max_error_rate: float = Field(0.01, ge=0, le=1)


class BaselineOptions(_Strict):
    """Reuse of the starter's figures on one host (see ``grader.strategies.perf.baseline``)."""

    cache: bool = False
    max_drift: float = Field(0.3, gt=0, le=2)  # a probe figure that moved more than this forces a full measurement
    probe: dict[str, Any] = {}  # PERF_OPTIONS overrides of the probe: a shorter load, no statement counts


class PerfOptions(_Strict):
    database: DatabaseOptions
    stub: StubOptions = StubOptions()
    measure_script: str = "measure.py"
    measure: dict[str, Any]  # handed to the measure script verbatim as PERF_OPTIONS (probes, load profile)
    starter_repeat: int = Field(1, ge=1, le=10)  # the starter's query counts do not vary; its probes are slow
    candidate_repeat: int = Field(3, ge=1, le=10)
    measure_timeout_s: float = Field(300, gt=0, le=1800)
    query_checks: dict[str, QueryCheck] = {}
    ratio_checks: dict[str, RatioCheck] = {}
    error_rate_checks: dict[str, ErrorRateCheck] = {}
    baseline: BaselineOptions = BaselineOptions()
