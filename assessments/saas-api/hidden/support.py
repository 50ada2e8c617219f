"""Helpers for the saas-api hidden suite: a recording HTTP client and contract-level actions.

Every exchange is recorded: the last ones of a failed test become its evidence
for interviewers, and the whole run is scanned at the end (no 500, no HTML, no
password or hash in any response).
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import time
from dataclasses import dataclass, field

import httpx
from capped import AnswerRefused, CappedClient

API = "/api/v1"
SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
ALL_EXCHANGES: list[dict] = []  # the whole run
TEST_EXCHANGES: list[dict] = []  # the current test (reset per test)
PASSWORDS: list[str] = []  # every password the suite sent, for the scans


def _excerpt(content: bytes | str | None, cap: int = 600) -> str:
    if content is None:
        return ""
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
    return text if len(text) <= cap else text[:cap] + "…"


class Recorder(CappedClient):
    """A capped httpx client (``capped.py``) that records every exchange (method, path, body, status, answer).

    An answer that breaks a cap (size, size once decompressed, time) is recorded with
    ``refused``: the reason, and fails the test that asked; it is not a 5xx.
    """

    def __init__(self, base_url: str, instance: str) -> None:
        super().__init__(base_url, timeout=15.0)
        self.instance = instance

    def request(self, method, url, **kwargs):  # type: ignore[override]
        began = time.monotonic()
        body = kwargs.get("json", kwargs.get("content"))
        entry = {
            "instance": self.instance,
            "method": method,
            "path": str(url),
            "request": _excerpt(json.dumps(body) if isinstance(body, (dict, list)) else body, 300),
        }
        try:
            response = super().request(method, url, **kwargs)
        except AnswerRefused as refused:
            head = refused.head
            _record(entry, began, head.status, head.headers.get("content-type", ""), head.body, refused=refused.reason)
            raise
        except httpx.HTTPError as exc:
            _record({**entry, "error": f"{type(exc).__name__}: {exc}"})
            raise
        _record(entry, began, response.status_code, response.headers.get("content-type", ""), response.content)
        return response


def _record(entry: dict, began: float | None = None, status: int = 0, content_type: str = "", body: bytes = b"",
            **more: str) -> None:
    if began is not None:
        entry.update(status=status, content_type=content_type, response=_excerpt(body), **more,
                     ms=round((time.monotonic() - began) * 1000, 1), _full=body[:200_000])
    ALL_EXCHANGES.append(entry)
    TEST_EXCHANGES.append(entry)


def transcript(entries: list[dict], last: int = 8) -> list[dict]:
    return [{k: v for k, v in e.items() if not k.startswith("_")} for e in entries[-last:]]


def new_password() -> str:
    password = "Grader-Pw-" + secrets.token_hex(6)
    PASSWORDS.append(password)
    return password


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(5)}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def items(response: httpx.Response) -> list:
    """Items of a list answer; tolerant of an unpaginated array so only `pagination` judges the shape."""
    body = response.json()
    if isinstance(body, dict) and isinstance(body.get("items"), list):
        return body["items"]
    if isinstance(body, list):
        return body
    raise AssertionError(f"list answer has no items: {str(body)[:200]}")


def ids(response: httpx.Response) -> set[str]:
    return {str(item["id"]) for item in items(response)}


def assert_error(response: httpx.Response, *statuses: int) -> None:
    assert response.status_code in statuses, f"expected {statuses}, got {response.status_code}: {response.text[:200]}"
    body = response.json()
    assert isinstance(body, dict) and isinstance(body.get("error"), dict), f"not the error shape: {body}"
    assert SNAKE.match(str(body["error"].get("code", ""))), f"error code is not snake_case: {body['error'].get('code')!r}"
    assert isinstance(body["error"].get("message"), str), "error message missing"


@dataclass
class User:
    id: str
    email: str
    password: str
    role: str
    tenant_id: str
    access: str = ""
    refresh: str = ""
    shared: bool = False  # used by many tests (conftest.World): its tokens are never replaced, refreshed or revoked

    @property
    def auth(self) -> dict[str, str]:
        return bearer(self.access)


@dataclass
class Tenant:
    id: str
    name: str
    admin: User
    members: list[User] = field(default_factory=list)


class Api:
    """Contract-level actions against one app instance."""

    def __init__(self, client: Recorder, env: dict[str, str]) -> None:
        self.http = client
        self.env = env

    def signup(self) -> Tenant:
        name, email, password = unique("tenant"), f"{unique('admin')}@example.com", new_password()
        response = self.http.post(f"{API}/tenants", json={"name": name, "admin_email": email, "admin_password": password})
        assert response.status_code == 201, f"POST /tenants answered {response.status_code}: {response.text[:200]}"
        body = response.json()
        admin = User(str(body["admin"]["id"]), email, password, "admin", str(body["id"]))
        self.login(admin)
        return Tenant(str(body["id"]), name, admin)

    def login(self, user: User) -> User:
        if user.shared:  # a new login may end the earlier sessions, and other tests hold those tokens
            raise RuntimeError("a shared user never logs in again: build a user of your own (Api.add_user)")
        response = self.http.post(
            f"{API}/auth/login", json={"tenant_id": _id(user.tenant_id), "email": user.email, "password": user.password}
        )
        assert response.status_code == 200, f"login answered {response.status_code}: {response.text[:200]}"
        body = response.json()
        user.access, user.refresh = body["access_token"], body["refresh_token"]
        return user

    def add_user(self, tenant: Tenant, role: str = "member") -> User:
        email, password = f"{unique(role)}@example.com", new_password()
        response = self.http.post(
            f"{API}/users", json={"email": email, "password": password, "role": role}, headers=tenant.admin.auth
        )
        assert response.status_code == 201, f"POST /users answered {response.status_code}: {response.text[:200]}"
        user = User(str(response.json()["id"]), email, password, role, tenant.id)
        self.login(user)
        tenant.members.append(user)
        return user

    def project(self, user: User, name: str | None = None) -> dict:
        response = self.http.post(f"{API}/projects", json={"name": name or unique("project")}, headers=user.auth)
        assert response.status_code == 201, f"POST /projects answered {response.status_code}: {response.text[:200]}"
        return response.json()

    def task(self, user: User, project_id, **fields) -> dict:
        body = {"title": unique("task"), **fields}
        response = self.http.post(f"{API}/projects/{project_id}/tasks", json=body, headers=user.auth)
        assert response.status_code == 201, f"POST tasks answered {response.status_code}: {response.text[:200]}"
        return response.json()


def _id(value: str):
    """Send ids back as the app gave them (an integer stays an integer)."""
    return int(value) if value.isdigit() else value


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def jwt_parts(token: str) -> tuple[dict, dict, str]:
    header, payload, signature = token.split(".")
    return json.loads(unb64(header)), json.loads(unb64(payload)), signature


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))
