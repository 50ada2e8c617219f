"""Check our side before a grading starts: the Docker engine answers, the package index serves over TLS.

Why: without this, an index outage or a TLS set-up mistake (no ``GRADER_PIP_CERT``
behind an intercepting proxy) surfaces inside the sandbox as pip's "Could not find a
version that satisfies the requirement", which reads as the candidate's mistake.  A
failure here is ``InfrastructureFailure``: the grading is retried, never scored.

The index is asked for its simple page of a project that always exists (``pip``),
over the same CA bundle the dependency download uses (``GRADER_PIP_CERT``, else the
default bundle), with a short timeout.  A success is remembered for ``SUCCESS_TTL_S``
so a burst of gradings pays for one check; a failure is never remembered.
"""

from __future__ import annotations

import os
import ssl
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import certifi
import httpx

from grader.errors import InfrastructureFailure
from sandbox.errors import SandboxError

PYPI_SIMPLE = "https://pypi.org/simple"
SUCCESS_TTL_S = 60.0
TIMEOUT_S = 5.0

_lock = threading.Lock()
_passed: dict[tuple, float] = {}  # what was checked -> when it last passed (monotonic)


def check(ping_engine: Callable[[], None], index_url: str, pip_cert: str | None) -> None:
    """Raise ``InfrastructureFailure`` unless the index, then the engine, answer (a recent success counts).

    The index first: the engine's images are built from it, so asking the engine for
    anything (``ping_engine`` may build the grading environment) waits until it is up.
    """
    key = (os.environ.get("DOCKER_HOST", ""), index_url, pip_cert)
    with _lock:
        if time.monotonic() - _passed.get(key, float("-inf")) < SUCCESS_TTL_S:
            return
    problem = index_problem(index_url, pip_cert)
    if problem:
        raise InfrastructureFailure(problem)
    try:
        ping_engine()
    except SandboxError as exc:
        where = os.environ.get("DOCKER_HOST") or "the default socket"
        raise InfrastructureFailure(f"the Docker engine at {where} did not answer ({exc})") from exc
    with _lock:
        _passed[key] = time.monotonic()


def forget() -> None:
    """Check again before the next grading: something of ours just failed."""
    with _lock:
        _passed.clear()


def index_problem(index_url: str, pip_cert: str | None, project: str = "pip", *,
                  missing_is_fine: bool = False) -> str | None:
    """What is wrong with reaching ``project``'s page on the index, in an operator's words; None if nothing.

    ``missing_is_fine``: a 404 means the project does not exist (a candidate's
    requirement), not that the index is misconfigured.
    """
    base = (index_url or PYPI_SIMPLE).rstrip("/")
    if urlsplit(base).scheme not in ("http", "https"):
        return None  # a local index (file://) has no network to fail
    url = f"{base}/{project}/"
    host = urlsplit(base).hostname or base
    cert_note = f"GRADER_PIP_CERT={pip_cert}" if pip_cert else "GRADER_PIP_CERT is not set"
    try:
        with httpx.Client(verify=_tls(pip_cert), timeout=TIMEOUT_S, follow_redirects=True) as http:
            status = http.get(url, headers={"Accept": "text/html"}).status_code
    except httpx.ConnectError as exc:
        if isinstance(exc.__context__, ssl.SSLError) or "CERTIFICATE_VERIFY_FAILED" in str(exc) or "SSL" in str(exc):
            return (f"the package index {host} could not be reached over TLS: check GRADER_PIP_CERT "
                    f"({cert_note}; {_short(exc)})")
        if "name resolution" in str(exc).lower() or "name or service not known" in str(exc).lower():
            return f"the package index's host {host} could not be resolved (DNS): {_short(exc)}"
        return f"the package index {host} could not be reached: {_short(exc)}"
    except httpx.TimeoutException as exc:
        return f"the package index {host} did not answer within {TIMEOUT_S:g} s ({type(exc).__name__})"
    except httpx.HTTPError as exc:
        return f"the package index {host} failed: {_short(exc)}"
    except OSError as exc:  # an unreadable GRADER_PIP_CERT
        return f"the CA bundle for the package index could not be read ({cert_note}): {exc}"
    if status >= 500:
        return f"the package index {host} answered HTTP {status} for {url}"
    if status == 404 and missing_is_fine:
        return None
    if status >= 400:
        return f"the package index {host} answered HTTP {status} for {url}: check GRADER_PIP_INDEX_URL"
    return None


def _tls(pip_cert: str | None) -> ssl.SSLContext:
    """pip trusts GRADER_PIP_CERT when it is set, else its own default bundle: so do we."""
    return ssl.create_default_context(cafile=pip_cert or certifi.where())


def _short(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
