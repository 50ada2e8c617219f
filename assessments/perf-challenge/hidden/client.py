"""The one HTTP client of the perf-challenge tester: the suite, the probes and the load all use it.

Two promises:

* **The app cannot tell the grader's clients apart.**  Every exchange goes through the
  same library with the same headers in the same order (``HEADERS``, keep-alive
  connections), whether it is a correctness test, a statement-count probe or a load
  request; what differs is only when and how often requests come.
* **The app cannot stall or crash the tester.**  Every exchange has caps on the bytes
  received, on the bytes once decompressed, and on its total time (each socket read and
  write gets at most what is left of the exchange's time, headers included).  An exchange
  that exceeds a cap raises ``CapExceeded`` (an ``httpx.TransportError``): a failed
  check or a forfeited measurement, with the reason, never a hung or killed tester.

Standard library and httpx only; safe to import after gevent's monkey-patching (the
load run), where ``threading.local`` is per greenlet.
"""

from __future__ import annotations

import threading
import time
import zlib
from dataclasses import dataclass

import httpcore
import httpx

# Sent by every client, in this order (httpx puts Host first and keeps this order).
HEADERS = {
    "Accept": "application/json",
    "Accept-Encoding": "gzip, deflate",
    "Connection": "keep-alive",
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
}


@dataclass(frozen=True)
class Caps:
    """Limits of one exchange."""

    total_s: float = 45.0  # connect, send, headers and body together
    max_bytes: int = 16 * 2**20  # bytes received for the body (as sent, compressed or not)
    max_decoded_bytes: int = 32 * 2**20  # the body once decompressed
    connect_s: float = 10.0


class CapExceeded(httpx.TransportError):
    """An exchange went past one of its caps; the message says which."""


_LOCAL = threading.local()


def _budget(timeout: float | None) -> float | None:
    """A socket operation's timeout: its own, but never past the current exchange's deadline."""
    deadline = getattr(_LOCAL, "deadline", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout(f"no complete answer within the exchange's {_LOCAL.total_s:g} s cap")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _budget(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _budget(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, *args, **kwargs):  # plain HTTP only on the run network
        raise httpcore.ConnectError("TLS is not used by the perf-challenge tester")

    def get_extra_info(self, info: str):
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's own socket backend, with every operation bounded by the exchange's deadline."""

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        return _DeadlineStream(self._inner.connect_tcp(host, port, _budget(timeout), local_address, socket_options))

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        return _DeadlineStream(self._inner.connect_unix_socket(path, _budget(timeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _transport(connections: int) -> httpx.HTTPTransport:
    transport = httpx.HTTPTransport(limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections))
    # httpx (pinned 0.28.1) does not take a network backend; its pool is replaced by an
    # identical one that has ours.
    transport._pool = httpcore.ConnectionPool(  # noqa: SLF001
        max_connections=connections, max_keepalive_connections=connections, keepalive_expiry=5.0,
        http1=True, http2=False, network_backend=_DeadlineBackend(),
    )
    return transport


class _Decoder:
    """Content-Encoding gzip/deflate/identity, decompressed with a cap (a small bomb stays small)."""

    def __init__(self, encoding: str, cap: int) -> None:
        self.encoding = encoding.strip().lower()
        self.cap = cap
        self.size = 0
        if self.encoding in ("", "identity"):
            self.inflater = None
        elif self.encoding in ("gzip", "x-gzip", "deflate"):
            self.inflater = zlib.decompressobj(47)  # zlib or gzip header, detected
            self.raw_deflate = self.encoding == "deflate"
        else:
            raise ValueError(f"the answer's Content-Encoding {encoding!r} was not asked for (gzip, deflate)")

    def feed(self, data: bytes) -> bytes:
        if self.inflater is None:
            out = data
        else:
            try:
                out = self.inflater.decompress(data, self.cap - self.size + 1)
            except zlib.error:
                if not (self.raw_deflate and self.size == 0):
                    raise
                self.inflater, self.raw_deflate = zlib.decompressobj(-15), False  # deflate sent without its header
                out = self.inflater.decompress(data, self.cap - self.size + 1)
            if self.inflater.unconsumed_tail:
                out += b"x"  # more output than the cap allows: report it as over the cap
        self.size += len(out)
        return out


def timeout_seconds(timeout) -> float | None:
    """A request's own ``timeout=`` in seconds (a number or an httpx.Timeout's read), else None."""
    if isinstance(timeout, int | float) and not isinstance(timeout, bool):
        return float(timeout)
    if isinstance(timeout, httpx.Timeout):
        return timeout.read
    return None


class CappedClient(httpx.Client):
    """An httpx client whose every exchange is capped (see the module docstring).

    Responses come back fully read and decompressed, so callers use them as usual.  A
    per-request ``timeout=`` lowers the time cap of that exchange.  A GET whose kept-alive
    connection the server had closed is sent again once, as browsers do.
    """

    def __init__(self, base_url: str, caps: Caps | None = None, connections: int = 10) -> None:
        self.caps = caps or Caps()
        super().__init__(
            base_url=base_url.rstrip("/"), headers=HEADERS, transport=_transport(connections),
            timeout=httpx.Timeout(self.caps.total_s, connect=self.caps.connect_s), follow_redirects=False,
        )

    def request(self, method, url, **kwargs):  # type: ignore[override]
        total = self.caps.total_s
        asked = timeout_seconds(kwargs.pop("timeout", None))
        if asked:
            total = min(total, asked)
        for attempt in (1, 2):
            try:
                return self._capped(method, url, total, **kwargs)
            except httpx.RemoteProtocolError as exc:
                if attempt == 2 or method.upper() != "GET" or "without sending a response" not in str(exc):
                    raise

    def _capped(self, method, url, total: float, **kwargs) -> httpx.Response:
        previous = getattr(_LOCAL, "deadline", None), getattr(_LOCAL, "total_s", None)
        _LOCAL.deadline, _LOCAL.total_s = time.monotonic() + total, total
        try:
            with self.stream(method, url, timeout=httpx.Timeout(total, connect=min(self.caps.connect_s, total)),
                             **kwargs) as response:
                decoder = _Decoder(response.headers.get("content-encoding", ""), self.caps.max_decoded_bytes)
                chunks, received = [], 0
                for raw in response.iter_raw():
                    received += len(raw)
                    if received > self.caps.max_bytes:
                        raise CapExceeded(f"the answer is larger than the {self.caps.max_bytes // 2**20} MiB cap",
                                          request=response.request)
                    chunks.append(decoder.feed(raw))
                    if decoder.size > self.caps.max_decoded_bytes:
                        raise CapExceeded(
                            f"the answer decompresses to more than the {self.caps.max_decoded_bytes // 2**20} MiB cap",
                            request=response.request)
        except httpx.TimeoutException as exc:
            raise httpx.ReadTimeout(f"no complete answer within {total:g} s ({exc})", request=getattr(exc, "_request", None)) from exc
        except (ValueError, zlib.error) as exc:
            raise httpx.DecodingError(f"the answer's body could not be decoded: {exc}") from exc
        finally:
            _LOCAL.deadline, _LOCAL.total_s = previous
        headers = [(k, v) for k, v in response.headers.raw
                   if k.lower() not in (b"content-encoding", b"content-length", b"transfer-encoding")]
        return httpx.Response(response.status_code, headers=headers, content=b"".join(chunks),
                              request=response.request, extensions={"http_version": b"HTTP/1.1", "raw_bytes": received})
