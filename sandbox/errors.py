"""Exceptions raised when the sandbox itself cannot do its job.

The code under test failing is never an exception: it is a ``SandboxResult``.

    SandboxError          Docker unreachable, image missing, volume could not be made
     └─ ResultFileError   the result file is missing, too large, or not a regular file
"""


class SandboxError(RuntimeError):
    """The sandbox machinery failed (not the code under test)."""


class ResultFileError(SandboxError):
    """A result file could not be taken out of the container safely."""
