"""Wait until the app under test answers its health URL, or give up.

Runs in the tester container on the run's internal network, because only
containers on that network can reach the app.  Exit 0: healthy; 3: not healthy
in time (the last error is printed for the interviewer).
"""

import sys
import time

import httpx


def main() -> int:
    url, timeout = sys.argv[1], float(sys.argv[2])
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            response = httpx.get(url, timeout=2.0)
            if response.status_code == 200:
                print(f"healthy after {timeout - (deadline - time.monotonic()):.1f} s")
                return 0
            last = f"HTTP {response.status_code}: {response.text[:200]}"
        except httpx.HTTPError as exc:
            last = f"{type(exc).__name__}: {exc}"
        time.sleep(0.25)
    print(f"not healthy within {timeout:.0f} s; last answer: {last}")
    return 3


if __name__ == "__main__":
    sys.exit(main())
