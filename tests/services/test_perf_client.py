"""The perf-challenge tester's one HTTP client (assessments/perf-challenge/hidden/client.py) survives the app.

A local server plays the hostile app: an answer that trickles, headers that never end, a
decompression bomb, an oversized body.  Each exchange ends within its caps as a failure
with the reason; none hangs or exhausts memory.  No containers.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

_SOURCE = Path(__file__).resolve().parents[2] / "assessments" / "perf-challenge" / "hidden" / "client.py"
_SPEC = importlib.util.spec_from_file_location("perf_challenge_client", _SOURCE)
client_module = sys.modules[_SPEC.name] = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(client_module)
HEADERS, CapExceeded, Caps, CappedClient = (client_module.HEADERS, client_module.CapExceeded, client_module.Caps,
                                           client_module.CappedClient)


class HostileApp(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def _send(self, body: bytes, **headers: str) -> None:
        self.send_response(200)
        for name, value in {"Content-Length": str(len(body)), **headers}.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        try:
            if self.path == "/trickle":
                self.send_response(200)
                self.send_header("Content-Length", "1000")
                self.end_headers()
                for _ in range(1000):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.05)
            elif self.path == "/endless-headers":
                self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                for i in range(1000):
                    self.wfile.write(b"X-Pad-%d: 1\r\n" % i)
                    self.wfile.flush()
                    time.sleep(0.05)
            elif self.path == "/bomb":
                self._send(gzip.compress(b"0" * (64 * 2**20)), Content_Encoding="gzip")
            elif self.path == "/big":
                self._send(b"1" * (3 * 2**20))
            elif self.path == "/gzip":
                self._send(gzip.compress(b'{"ok": true}'), Content_Encoding="gzip")
            elif self.path == "/brotli":
                self._send(b"\x00\x01", Content_Encoding="br")
            else:
                self._send(json.dumps(self.headers.items()).encode(), Content_Type="application/json")
        except (BrokenPipeError, ConnectionResetError):
            pass


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:  # the client hanging up is the point
        pass


@pytest.fixture(scope="module")
def app_url():
    server = QuietServer(("127.0.0.1", 0), HostileApp)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


CAPS = Caps(total_s=1.5, max_bytes=2**20, max_decoded_bytes=2 * 2**20, connect_s=1.0)


def test_every_request_carries_the_same_headers_in_the_same_order(app_url):
    with CappedClient(app_url, CAPS) as client:
        sent = client.get("/echo").json()
        again = client.get("/echo?x=1", timeout=1.0).json()
    assert [name for name, _ in sent] == ["Host", *HEADERS] and sent == again


def test_a_compressed_answer_is_decoded(app_url):
    with CappedClient(app_url, CAPS) as client:
        assert client.get("/gzip").json() == {"ok": True}


@pytest.mark.parametrize("path", ["/trickle", "/endless-headers"])
def test_an_answer_slower_than_the_cap_times_out_at_the_cap(app_url, path):
    with CappedClient(app_url, CAPS) as client:
        began = time.monotonic()
        with pytest.raises(httpx.TimeoutException, match="within 1.5 s"):
            client.get(path)
        assert time.monotonic() - began < CAPS.total_s + 0.5
        began = time.monotonic()
        with pytest.raises(httpx.TimeoutException):
            client.get(path, timeout=0.5)  # a request's own timeout lowers the cap
        assert time.monotonic() - began < 1.0


@pytest.mark.parametrize(("path", "reason"), [("/big", "larger than the 1 MiB cap"),
                                              ("/bomb", "decompresses to more than the 2 MiB cap")])
def test_an_answer_larger_than_the_caps_fails_with_the_reason(app_url, path, reason):
    with CappedClient(app_url, CAPS) as client:
        with pytest.raises(CapExceeded, match=reason):
            client.get(path)
        assert client.get("/echo").status_code == 200  # the client is still usable


def test_an_encoding_that_was_not_asked_for_is_a_decoding_error(app_url):
    with CappedClient(app_url, CAPS) as client, pytest.raises(httpx.DecodingError, match="br"):
        client.get("/brotli")
