"""One error hierarchy for the grader, and the one JSON shape every API error takes.

    GraderError                 anything the grader reports on purpose
     ├─ ApiError                maps to an HTTP answer {"error": {"code", "message"}}
     │   ├─ BadRequest (400)    malformed JSON
     │   ├─ Unauthorized (401)  missing or unknown API key
     │   ├─ Forbidden (403)     the key's role may not do this
     │   ├─ NotFound (404)
     │   └─ Invalid (422)       a field failed validation
     └─ GradingFailure          a submission cannot be graded; ``code`` is stored
         ├─ CloneFailed         bad URL, refused host, missing ref, too large, too slow
         ├─ InstallFailed       requirements not acceptable or pip failed
         ├─ GradingTimeout      the run hit its time limit
         ├─ SandboxFailure      the sandbox could not do a job (not the candidate's code)
         └─ InfrastructureFailure  our side went away: package index, DNS, TLS, the Docker engine;
                                retried with back-off, then ``failed`` with code ``infrastructure``
"""

from __future__ import annotations

import enum
from typing import Any


class FailureCode(str, enum.Enum):
    """Why a submission ended ``failed`` (stored as the value); the first two are the candidate's."""

    CLONE_FAILED = "clone_failed"
    INSTALL_FAILED = "install_failed"
    TIMED_OUT = "timed_out"
    SANDBOX_ERROR = "sandbox_error"
    INTERNAL_ERROR = "internal_error"
    INFRASTRUCTURE = "infrastructure"

    @property
    def ours(self) -> bool:
        """The grader's fault, never the candidate's: an invitation gives the attempt back."""
        return self in OUR_FAILURE_CODES


OUR_FAILURE_CODES = frozenset({FailureCode.SANDBOX_ERROR, FailureCode.INTERNAL_ERROR, FailureCode.INFRASTRUCTURE})


class GraderError(Exception):
    """Base of every error the grader raises on purpose."""


class ApiError(GraderError):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return {"error": body}


class BadRequest(ApiError):
    status, code = 400, "bad_request"


class Unauthorized(ApiError):
    status, code = 401, "unauthorized"


class Forbidden(ApiError):
    status, code = 403, "forbidden"


class NotFound(ApiError):
    status, code = 404, "not_found"


class Invalid(ApiError):
    status, code = 422, "validation_failed"


class GradingFailure(GraderError):
    """The submission ends ``failed`` with this code and a sentence a person understands."""

    code = FailureCode.INTERNAL_ERROR

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CloneFailed(GradingFailure):
    code = FailureCode.CLONE_FAILED


class InstallFailed(GradingFailure):
    code = FailureCode.INSTALL_FAILED

    def __init__(self, reason: str, log: str = "") -> None:
        super().__init__(reason)
        self.log = log  # pip's own output (capped), shown to the candidate beside the reason


class GradingTimeout(GradingFailure):
    code = FailureCode.TIMED_OUT


class SandboxFailure(GradingFailure):
    code = FailureCode.SANDBOX_ERROR


class InfrastructureFailure(GradingFailure):
    """Something of ours that a candidate cannot cause failed: the package index or DNS unreachable,
    TLS to the index refused, the Docker engine erroring, gone or restarted, a container killed from outside.

    Why its own class: these are retried with back-off (the outage may pass) and, if they
    persist, end ``failed`` with a reason for an operator; never a candidate's zero.
    """

    code = FailureCode.INFRASTRUCTURE
