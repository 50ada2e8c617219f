"""Hardened Docker sandboxes for untrusted code (see README.md for this folder's rules)."""

from sandbox.errors import ResultFileError, SandboxError
from sandbox.job import Limits, Mount, SandboxJob, SandboxResult, Verdict
from sandbox.protocol import Sandbox, Service
from sandbox.scope import RunScope

__all__ = [
    "Limits",
    "Mount",
    "RunScope",
    "Sandbox",
    "SandboxJob",
    "SandboxResult",
    "Service",
    "Verdict",
    "SandboxError",
    "ResultFileError",
]
