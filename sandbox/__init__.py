"""Hardened Docker sandboxes for untrusted code (see README.md for this folder's rules)."""

from sandbox.job import Limits, Mount, SandboxJob, SandboxResult, Verdict
from sandbox.errors import SandboxError, ResultFileError

__all__ = [
    "Limits",
    "Mount",
    "SandboxJob",
    "SandboxResult",
    "Verdict",
    "SandboxError",
    "ResultFileError",
]
