"""A package index that misbehaves on purpose: answers 503, never answers, or serves a certificate nobody trusts.

A real HTTP(S) server in a thread, so pip and the pre-flight check meet real sockets,
real status lines and real TLS handshakes, as they would an index in trouble.
"""

from __future__ import annotations

import http.server
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PAGE = b"<!DOCTYPE html><html><body><a href='../../files/pip-0.whl'>pip-0.whl</a></body></html>"


class _Handler(http.server.BaseHTTPRequestHandler):
    mode = "ok"  # ok | 503 | 404 | hang

    def do_GET(self) -> None:  # noqa: N802 - the standard library's name
        if self.mode == "hang":
            time.sleep(30)
            return
        status = {"ok": 200, "503": 503, "404": 404}[self.mode]
        body = PAGE if status == 200 else b""
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def self_signed(folder: Path, host: str) -> tuple[Path, Path]:
    """A certificate for ``host`` signed by itself (so by no CA anyone trusts)."""
    cert, key = folder / "index.pem", folder / "index.key"
    san = f"IP:{host}" if host.replace(".", "").isdigit() else f"DNS:{host}"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", f"/CN={host}", "-addext", f"subjectAltName={san}"],
                   check=True, capture_output=True)
    return cert, key


@contextmanager
def index_stub(mode: str, *, bind: str = "127.0.0.1", tls: tuple[Path, Path] | None = None) -> Iterator[int]:
    """Serve ``mode`` on a free port of ``bind`` until the block ends; yields the port."""
    handler = type("Handler", (_Handler,), {"mode": mode})
    server = http.server.ThreadingHTTPServer((bind, 0), handler)
    server.daemon_threads = True
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(tls[0]), str(tls[1]))
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
