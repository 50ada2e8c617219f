"""Database models, one module per aggregate."""

from grader.models.apikey import ApiKey, Role
from grader.models.assessment import Assessment
from grader.models.grading import CheckResult, GradingRun
from grader.models.submission import FailureCode, StatusEvent, Submission, SubmissionStatus

__all__ = [
    "ApiKey",
    "Role",
    "Assessment",
    "CheckResult",
    "GradingRun",
    "FailureCode",
    "StatusEvent",
    "Submission",
    "SubmissionStatus",
]
