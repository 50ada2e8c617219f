"""Exceptions raised when the sandbox itself cannot do its job.

The code under test failing is never an exception: it is a ``SandboxResult``.

    SandboxError          Docker unreachable, image missing, volume could not be made
     ├─ ResultFileError   the result file is missing, too large, or not a regular file
     └─ EngineError       the Docker engine itself failed: unreachable, erroring (5xx),
                          restarted or cut off mid-job, or a container killed from outside
"""


class SandboxError(RuntimeError):
    """The sandbox machinery failed (not the code under test)."""


class ResultFileError(SandboxError):
    """A result file could not be taken out of the container safely."""


class EngineError(SandboxError):
    """The Docker engine failed under a job: nothing the job's code did, and often passing.

    Its own class so a caller can tell an outage of the engine (retry later) from a
    job the sandbox refused (an image not built, a result file refused).
    """
