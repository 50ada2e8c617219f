"""Where things live inside the sandbox images: one definition for every caller.

The runner image serves the candidate's code and the tester image runs hidden
suites; both are built here, so the paths and the uid they agree on are defined
here too, never spelled again by a strategy or a service.
"""

from __future__ import annotations

SANDBOX_UID = 10001  # every container runs as this uid; writable volumes belong to it
SANDBOX_USER = f"{SANDBOX_UID}:{SANDBOX_UID}"

APP_DIR = "/app"  # the candidate's code, read-only, in the runner image
DEPS_MOUNT = "/deps"  # installed dependencies, read-only; packages under DEPS_MOUNT/site
SUITE_DIR = "/suite"  # a hidden suite, read-only, in the tester image
OUT_DIR = "/out"  # the tester's only writable volume: result files come out of it


def runner_env() -> dict[str, str]:
    """The environment under which the candidate's code finds itself and its dependencies."""
    return {
        "PYTHONPATH": f"{APP_DIR}:{DEPS_MOUNT}/site",
        "PATH": f"{DEPS_MOUNT}/site/bin:/opt/tools/bin:/usr/bin:/bin",
    }
