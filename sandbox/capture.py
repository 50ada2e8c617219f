"""Keep the head and the tail of a stream that may be endless.

A candidate's program can print gigabytes; interviewers need the first lines
(what started) and the last ones (how it ended), never all of it in memory.
"""

from __future__ import annotations

import threading


class CappedStream:
    """A byte sink that remembers at most ``cap`` bytes: half from the start, half from the end."""

    def __init__(self, cap: int) -> None:
        self.cap = max(cap, 2)
        self._head = bytearray()
        self._tail = bytearray()
        self._total = 0
        self._gap_unknown = False
        self._lock = threading.Lock()

    def write(self, data: bytes) -> None:
        with self._lock:
            if self._gap_unknown:  # the end was already taken from elsewhere
                return
            self._total += len(data)
            half = self.cap // 2
            room = half - len(self._head)
            if room > 0:
                self._head += data[:room]
                data = data[room:]
            if data:
                self._tail += data
                if len(self._tail) > half:
                    del self._tail[: len(self._tail) - half]

    def replace_tail(self, data: bytes) -> None:
        """Take the stream's end from elsewhere when reading it in order fell behind.

        What lay between the bytes read and this tail is unknown, so the text says so rather
        than counting it.
        """
        with self._lock:
            self._tail = bytearray(data[-(self.cap // 2):])
            self._gap_unknown = True

    @property
    def truncated(self) -> bool:
        return self._gap_unknown or self._total > len(self._head) + len(self._tail)

    @property
    def total(self) -> int:
        return self._total

    def text(self) -> str:
        with self._lock:
            head = self._head.decode("utf-8", "replace")
            tail = self._tail.decode("utf-8", "replace")
            if self._gap_unknown:
                return f"{head}\n[... output omitted ...]\n{tail}"
            if self.truncated:
                dropped = self._total - len(self._head) - len(self._tail)
                return f"{head}\n[... {dropped} bytes omitted ...]\n{tail}"
            return head + tail
