"""An httpx client whose every exchange has caps: bytes on the wire, bytes once decoded, seconds in all.

A hostile or broken app must not turn its own low score into a grader failure: a
gzip bomb or a huge body would run the tester out of memory, a body dripped just
under the read timeout would run the suite past its time limit.  Here an answer
that breaks a cap raises ``AnswerRefused`` (an ``AssertionError``), so the test
that asked fails with the reason, and the run goes on.

Self-contained (httpx and the standard library only): a hidden suite copies it as is.

- **Wire bytes**: the body is streamed and read no further than ``Caps.wire_bytes``.
- **Decoded bytes**: ``gzip`` and ``deflate`` are inflated here, chunk by chunk, with
  ``max_length`` (httpx's own decoder would inflate a whole chunk at once); any other
  ``Content-Encoding``, or several stacked, is refused (the client asks for gzip or deflate only).
- **Seconds**: a timer shuts the exchange's socket down at ``Caps.seconds``, which ends
  any read at once, headers included.  Keep-alive is off, so every exchange has its
  own connection and the timer never cuts another one.
"""

from __future__ import annotations

import socket
import threading
import zlib
from dataclasses import dataclass

import httpx

MIB = 1 << 20
ACCEPTED_ENCODINGS = "gzip, deflate"


@dataclass(frozen=True)
class Caps:
    """What one exchange may cost the tester."""

    wire_bytes: int = 4 * MIB  # body bytes read from the socket
    decoded_bytes: int = 4 * MIB  # body bytes once gzip/deflate is undone
    seconds: float = 20.0  # wall clock from sending the request to the body's last byte


@dataclass(frozen=True)
class Head:
    """What was seen of a refused answer, for the evidence."""

    status: int  # 0 when no status line arrived
    headers: dict[str, str]
    body: bytes  # decoded, as far as it was read (at most the cap)


class AnswerRefused(AssertionError):
    """The app's answer broke a cap: the exchange fails with this reason, the tester goes on."""

    def __init__(self, reason: str, head: Head) -> None:
        super().__init__(reason)
        self.reason = reason
        self.head = head


class _Inflater:
    """Undo a Content-Encoding incrementally, never producing more than the cap."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        if encoding in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._z = zlib.decompressobj(zlib.MAX_WBITS)  # zlib-wrapped; raw deflate is tried on error
        else:
            self._z = None
        self._first = True

    def feed(self, data: bytes, room: int) -> bytes:
        """Inflate ``data``: at most ``room + 1`` bytes come out (one more than allowed means over the cap)."""
        if self._z is None:
            return data[: room + 1]
        if self._z.eof:  # trailing data after the stream (e.g. a second gzip member) is ignored, as httpx does
            return b""
        try:
            out = self._z.decompress(data, room + 1)
        except zlib.error:
            if not (self._first and self.encoding == "deflate"):
                raise
            self._z = zlib.decompressobj(-zlib.MAX_WBITS)
            out = self._z.decompress(data, room + 1)
        self._first = False
        return out


def _encoding(headers: httpx.Headers) -> str | None:
    """The one Content-Encoding to undo ("" for none); None when it is not one this client accepts."""
    codings = [c.strip().lower() for c in headers.get("content-encoding", "").split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if not codings:
        return ""
    if len(codings) == 1 and codings[0] in ("gzip", "x-gzip", "deflate"):
        return codings[0]
    return None


class _Deadline:
    """Shut the exchange's socket down when its time is up (the socket is learnt from httpcore's trace)."""

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def trace(self, event: str, info: dict) -> None:
        if event == "connection.connect_tcp.complete":
            stream = info.get("return_value")
            sock = stream.get_extra_info("socket") if stream is not None else None
            with self._lock:
                self._sock = sock
                if self.expired:
                    self._shutdown()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            self._shutdown()

    def _shutdown(self) -> None:
        if self._sock is not None:
            try:
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()


class CappedClient(httpx.Client):
    """``httpx.Client`` whose ``request`` reads every answer under ``caps`` (see the module docstring)."""

    def __init__(self, base_url: str, *, caps: Caps = Caps(), timeout: float = 15.0) -> None:
        super().__init__(
            base_url=base_url,
            timeout=timeout,
            limits=httpx.Limits(max_keepalive_connections=0),
            headers={"Accept-Encoding": ACCEPTED_ENCODINGS},
        )
        self.caps = caps

    def request(self, method, url, **kwargs) -> httpx.Response:  # type: ignore[override]
        caps = self.caps
        with _Deadline(caps.seconds) as deadline:
            extensions = {**(kwargs.pop("extensions", None) or {}), "trace": deadline.trace}
            send = {k: kwargs.pop(k) for k in ("auth", "follow_redirects") if k in kwargs}
            request = self.build_request(method, url, extensions=extensions, **kwargs)
            try:
                response = self.send(request, stream=True, **send)
            except httpx.HTTPError:
                if deadline.expired:
                    where = f"{request.method} {request.url.path}"
                    raise AnswerRefused(f"{where}: no answer within {caps.seconds:g} s", Head(0, {}, b"")) from None
                raise
            try:
                body = self._read(response, deadline)
            finally:
                response.close()
        headers = [(k, v) for k, v in response.headers.multi_items()
                   if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]
        return httpx.Response(response.status_code, headers=headers, content=body, request=request)

    def _read(self, response: httpx.Response, deadline: _Deadline) -> bytes:
        caps = self.caps
        body = bytearray()

        def refuse(reason: str) -> AnswerRefused:
            head = Head(response.status_code, dict(response.headers), bytes(body[: caps.decoded_bytes]))
            where = f"{response.request.method} {response.request.url.path} → {response.status_code}"
            return AnswerRefused(f"{where}: {reason}", head)

        encoding = _encoding(response.headers)
        if encoding is None:
            raise refuse(f"Content-Encoding {response.headers['content-encoding']!r} was not asked for "
                         f"(Accept-Encoding: {ACCEPTED_ENCODINGS})")
        inflater = _Inflater(encoding)
        wire = 0
        try:
            for chunk in response.iter_raw():
                wire += len(chunk)
                if wire > caps.wire_bytes:
                    raise refuse(f"the body was longer than {caps.wire_bytes / MIB:g} MiB")
                try:
                    body += inflater.feed(chunk, caps.decoded_bytes - len(body))
                except zlib.error as exc:
                    raise refuse(f"the body is not valid {encoding}: {exc}") from None
                if len(body) > caps.decoded_bytes:
                    raise refuse(f"the body was longer than {caps.decoded_bytes / MIB:g} MiB once {encoding} "
                                 f"was undone ({wire} bytes sent)")
        except httpx.HTTPError:
            if deadline.expired:
                raise refuse(f"the body was not complete within {caps.seconds:g} s ({wire} bytes came)") from None
            raise
        if deadline.expired:  # the last read ended just as the timer fired
            raise refuse(f"the body was not complete within {caps.seconds:g} s ({wire} bytes came)")
        return bytes(body)
