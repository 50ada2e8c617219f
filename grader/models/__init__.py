"""Database models, one module per aggregate."""

from grader.models.apikey import ApiKey, Role
from grader.models.assessment import Assessment
from grader.models.grading import CheckResult, GradingRun
from grader.models.invitation import Invitation
from grader.models.review import ANNOTATION_KINDS, DECISIONS, Annotation, Decision
from grader.models.submission import FailureCode, StatusEvent, Submission, SubmissionStatus
from grader.models.user import STAFF_ROLES, User

__all__ = [
    "ANNOTATION_KINDS",
    "DECISIONS",
    "STAFF_ROLES",
    "Annotation",
    "Decision",
    "Invitation",
    "User",
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
