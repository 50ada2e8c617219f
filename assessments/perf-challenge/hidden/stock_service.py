#!/usr/bin/env python3
"""The fake external stock service the hidden suite steers (standard library only).

    STOCK_CONTROL_TOKEN=secret python stock_service.py --port 9000 --delay 0.2

It runs in its own container so the candidate's app reaches it over the network like
a real dependency. The suite switches its behaviour at run time (``POST /_control``)
to prove that ``GET /books/{id}`` survives a dependency that hangs, crawls, fails or
lies; the control endpoints need the token so the candidate's code cannot steer it.

Modes for ``GET /stock/{isbn}``:

- ``ok``: 200 ``{"in_stock": in_stock_for(isbn)}`` after ``delay_s`` seconds;
- ``error``: 503 with a JSON error;
- ``hang``: never answers; the connection is closed without a response once the mode
  changes (or after 60 s), so hung app threads are released as soon as a test ends;
- ``slow``: the ``ok`` answer after 1.5 s (beyond the app's 1 s budget);
- ``garbage``: 200 with a body that is not JSON;
- ``boolean``: 200 ``{"in_stock": true}`` (a boolean is not an integer).
"""

from __future__ import annotations

import argparse
import hmac
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODES = ("ok", "error", "hang", "slow", "garbage", "boolean")
HANG_LIMIT_S = 60.0
SLOW_S = 1.5


def in_stock_for(isbn: str) -> int:
    """The stock the service reports in ``ok`` mode; the suite imports it to know the expected value."""
    return sum(int(d) for d in isbn if d.isdigit()) % 17


class State:
    """Mode, delay and call counter shared by all handler threads.

    Each mode change sets the current release event and replaces it, which wakes every
    request parked in ``hang`` at once, whatever the new mode is.
    """

    def __init__(self, delay_s: float) -> None:
        self.lock = threading.Lock()
        self.mode = "ok"
        self.delay_s = delay_s
        self.calls = 0
        self.release = threading.Event()

    def snapshot(self) -> dict:
        with self.lock:
            return {"mode": self.mode, "delay_s": self.delay_s, "calls": self.calls}

    def update(self, mode: str, delay_s: float | None) -> None:
        with self.lock:
            changed = mode != self.mode
            self.mode = mode
            if delay_s is not None:
                self.delay_s = delay_s
            if changed:
                self.release.set()
                self.release = threading.Event()

    def begin_call(self) -> tuple[str, float, threading.Event]:
        with self.lock:
            self.calls += 1
            return self.mode, self.delay_s, self.release


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    allow_reuse_address = True

    def __init__(self, address, state: State, token: str) -> None:
        super().__init__(address, Handler)
        self.state = state
        self.token = token


class Handler(BaseHTTPRequestHandler):
    server: Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 - signature of the base class
        """Quiet: a run makes hundreds of calls and the logs would drown real problems."""

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data) -> None:
        self._send(status, json.dumps(data).encode())

    def _authorised(self) -> bool:
        given = self.headers.get("X-Control-Token", "")
        if hmac.compare_digest(given.encode(), self.server.token.encode()):
            return True
        self._json(403, {"error": "forbidden"})
        return False

    def do_GET(self):  # noqa: N802 - http.server naming
        path = self.path.split("?", 1)[0]
        if path == "/_control":
            if self._authorised():
                self._json(200, self.server.state.snapshot())
            return
        if path.startswith("/stock/") and len(path) > len("/stock/"):
            self._stock(path[len("/stock/") :])
            return
        self._json(404, {"error": "not found"})

    def do_POST(self):  # noqa: N802 - http.server naming
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.path.split("?", 1)[0] != "/_control":
            self._json(404, {"error": "not found"})
            return
        if not self._authorised():
            return
        try:
            data = json.loads(raw or b"null")
        except ValueError:
            data = None
        mode = data.get("mode") if isinstance(data, dict) else None
        delay = data.get("delay_s") if isinstance(data, dict) else None
        if mode not in MODES or not (
            delay is None or (isinstance(delay, (int, float)) and not isinstance(delay, bool) and delay >= 0)
        ):
            self._json(400, {"error": f"mode must be one of {MODES}, delay_s a non-negative number"})
            return
        self.server.state.update(mode, None if delay is None else float(delay))
        self._json(200, self.server.state.snapshot())

    def _stock(self, isbn: str) -> None:
        mode, delay_s, release = self.server.state.begin_call()
        if mode == "hang":
            release.wait(HANG_LIMIT_S)
            self.close_connection = True  # no response at all: the client sees the connection drop
            return
        if mode == "error":
            self._json(503, {"error": "stock service unavailable"})
        elif mode == "garbage":
            self._send(200, b"not json", "text/plain")
        elif mode == "boolean":
            self._json(200, {"in_stock": True})
        else:
            # ok and slow: wait, but give up early if the mode changes meanwhile.
            release.wait(SLOW_S if mode == "slow" else delay_s)
            self._json(200, {"in_stock": in_stock_for(isbn)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--delay", type=float, default=0.2)
    args = parser.parse_args()
    token = os.environ.get("STOCK_CONTROL_TOKEN", "")
    if not token:
        parser.error("STOCK_CONTROL_TOKEN must be set")
    server = Server((args.host, args.port), State(args.delay), token)
    print(f"stock service on {args.host}:{args.port} (delay {args.delay}s)", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
