"""A unix-socket proxy in front of the real Docker engine, which a test can cut and restore.

Why a proxy: the engine is shared (other people's containers run on it), so a test may
not restart it.  A grader pointed at this socket (``DOCKER_HOST=unix://…``) sees what a
worker sees when its engine dies: requests refused, and the streams it was reading
(a container's wait, its logs) broken mid-way.  Bytes pass through unchanged.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from pathlib import Path

ENGINE = "/var/run/docker.sock"


class DockerProxy:
    def __init__(self, path: Path, upstream: str = ENGINE) -> None:
        self.path = path
        self.upstream = upstream
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self.connections = 0  # accepted so far: the test can see the grader used it

    @property
    def url(self) -> str:
        return f"unix://{self.path}"

    def start(self) -> None:
        """Listen (again) at ``path``."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(self.path))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        """Stop listening and break every open connection, as an engine that went away."""
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        with self._lock:
            sockets, self._open = self._open, set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            engine = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                engine.connect(self.upstream)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._listener is not listener:  # cut meanwhile
                    client.close()
                    engine.close()
                    return
                self._open.update((client, engine))
                self.connections += 1
            pair = [2]  # directions still open; the last one to end closes both sockets
            threading.Thread(target=self._pump, args=(client, engine, pair), daemon=True).start()
            threading.Thread(target=self._pump, args=(engine, client, pair), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, pair: list[int]) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_WR)  # half-close, as HTTP clients and the engine expect
        except OSError:
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_RDWR)
        with self._lock:
            pair[0] -= 1
            if pair[0]:
                return
            self._open.difference_update((source, sink))
        source.close()
        sink.close()
