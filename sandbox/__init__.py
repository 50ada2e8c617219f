"""Hardened Docker sandboxes for untrusted code (see README.md for this folder's rules)."""

from sandbox.errors import ResultFileError, SandboxError
from sandbox.job import Limits, Mount, SandboxJob, SandboxResult, Verdict

__all__ = [
    "Limits",
    "Mount",
    "SandboxJob",
    "SandboxResult",
    "Verdict",
    "SandboxError",
    "ResultFileError",
]
