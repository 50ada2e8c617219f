"""Per-tenant fixed-window rate limiter kept in process memory."""

import math
import threading
import time


class FixedWindowRateLimiter:
    """Allows `limit` hits per key in each window; the window opens on the key's first hit."""

    def __init__(self, limit: int, window_seconds: int = 60, clock=time.monotonic):
        self.limit = limit
        self.window = window_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[object, tuple[float, int]] = {}

    def hit(self, key) -> int | None:
        """Count one hit. Returns None if allowed, else the seconds to wait (1..window)."""
        now = self._clock()
        with self._lock:
            start, count = self._windows.get(key, (now, 0))
            if now - start >= self.window:
                start, count = now, 0
            count += 1
            self._windows[key] = (start, count)
        if count <= self.limit:
            return None
        return max(1, min(self.window, math.ceil(start + self.window - now)))
