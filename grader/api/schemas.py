"""Request bodies, validated with pydantic; errors become one 422 with field details."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TypeVar

from flask import request
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from grader.errors import BadRequest, Invalid

T = TypeVar("T", bound=BaseModel)


class SubmissionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    assessment: str = Field(min_length=1, max_length=64)
    candidate_name: str = Field(min_length=1, max_length=200)
    candidate_email: str = Field(min_length=3, max_length=320)
    repo_url: str = Field(min_length=1, max_length=2048)
    ref: str = Field("HEAD", min_length=1, max_length=255)

    @field_validator("candidate_email")
    @classmethod
    def _email(cls, value: str) -> str:
        local, _, domain = value.partition("@")
        if not local or "." not in domain or " " in value:
            raise ValueError("must be an email address")
        return value.lower()


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    role: str
    label: str = Field("", max_length=200)


def parse(model: type[T]) -> T:
    body = request.get_json(silent=True)
    if body is None:
        raise BadRequest("the body must be JSON (Content-Type: application/json)", code="malformed_json")
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object", code="malformed_json")
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        details = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()]
        raise Invalid("the request body is invalid", details=details) from exc


def page_args(default: int = 20, maximum: int = 100) -> tuple[int, int]:
    try:
        page = int(request.args.get("page", 1))
        per_page = int(request.args.get("per_page", default))
    except ValueError:
        raise Invalid("page and per_page must be integers") from None
    if page < 1 or per_page < 1:
        raise Invalid("page and per_page must be at least 1")
    return page, min(per_page, maximum)


class InvitationIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    assessment: str = Field(min_length=1, max_length=64)
    candidate_name: str = Field(min_length=1, max_length=200)
    candidate_email: str = Field(min_length=3, max_length=320)
    deadline: datetime | None = None  # ISO 8601; naive means UTC; default: in 7 days
    attempts_allowed: int = Field(3, ge=1, le=20)

    @field_validator("deadline")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value
