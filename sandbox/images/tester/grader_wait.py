"""Wait until the app under test answers its health URL (or a tcp:// port accepts, or a
postgresql:// database takes a connection), or give up.

Runs in the tester container on the run's internal network, because only
containers on that network can reach the app.  Exit 0: healthy; 3: not healthy
in time (the last error is printed for the interviewer).
"""

import socket
import sys
import time
from urllib.parse import urlsplit

import httpx


def _probe(url: str) -> str | None:
    """None when healthy, else the last problem in words."""
    if url.startswith("postgresql://"):  # listening is not enough: it may still be starting up
        import psycopg

        try:
            psycopg.connect(url, connect_timeout=2).close()
            return None
        except psycopg.Error as exc:
            return f"{type(exc).__name__}: {str(exc).strip()[:200]}"
    if url.startswith("tcp://"):
        parts = urlsplit(url)
        try:
            socket.create_connection((parts.hostname, parts.port), timeout=2.0).close()
            return None
        except OSError as exc:
            return f"{type(exc).__name__}: {exc}"
    try:
        response = httpx.get(url, timeout=2.0)
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"
    return None if response.status_code == 200 else f"HTTP {response.status_code}: {response.text[:200]}"


def main() -> int:
    url, timeout = sys.argv[1], float(sys.argv[2])
    deadline = time.monotonic() + timeout
    last = "no answer"
    unresolved = 0
    while time.monotonic() < deadline:
        problem = _probe(url)
        if problem is None:
            print(f"healthy after {timeout - (deadline - time.monotonic()):.1f} s")
            return 0
        last = problem
        # A container's name resolves from creation until it exits: a name that keeps
        # failing to resolve means the app is gone, and waiting longer only wastes time.
        unresolved = unresolved + 1 if "name resolution" in problem or "Name or service not known" in problem else 0
        if unresolved >= 12:
            print(f"gave up: {urlsplit(url).hostname} no longer resolves (its container exited); last answer: {last}")
            return 3
        time.sleep(0.25)
    print(f"not healthy within {timeout:.0f} s; last answer: {last}")
    return 3


if __name__ == "__main__":
    sys.exit(main())
