"""Static OpenAPI 3 description of the API (served at GET /openapi.json)."""


def _op(summary: str, status: str = "200", *, secured: bool = True, body: dict | None = None):
    operation = {"summary": summary, "responses": {status: {"description": "Success"}}}
    if secured:
        operation["security"] = [{"bearerAuth": []}]
    if body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object", "properties": body}}},
        }
    return operation


def _params(*names: str) -> list[dict]:
    return [{"name": n, "in": "path", "required": True, "schema": {"type": "integer"}} for n in names]


STRING = {"type": "string"}
ID = {"type": "integer"}
STATUS = {"type": "string", "enum": ["todo", "doing", "done"]}
ROLE = {"type": "string", "enum": ["admin", "member"]}

OPENAPI_SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "Multi-tenant SaaS API", "version": "1.0.0"},
    "components": {
        "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
    },
    "paths": {
        "/healthz": {"get": _op("Health check", secured=False)},
        "/openapi.json": {"get": _op("This document", secured=False)},
        "/api/v1/tenants": {
            "post": _op("Create a tenant and its admin", "201", secured=False,
                        body={"name": STRING, "admin_email": STRING, "admin_password": STRING}),
        },
        "/api/v1/auth/login": {
            "post": _op("Log in", secured=False,
                        body={"tenant_id": ID, "email": STRING, "password": STRING}),
        },
        "/api/v1/auth/refresh": {
            "post": _op("Rotate a refresh token", secured=False, body={"refresh_token": STRING}),
        },
        "/api/v1/auth/logout": {
            "post": _op("Revoke a refresh token", "204", body={"refresh_token": STRING}),
        },
        "/api/v1/users/me": {"get": _op("The current user")},
        "/api/v1/users": {
            "get": _op("List users (admin)"),
            "post": _op("Create a user (admin)", "201",
                        body={"email": STRING, "password": STRING, "role": ROLE}),
        },
        "/api/v1/users/{id}": {
            "parameters": _params("id"),
            "get": _op("Get a user"),
            "patch": _op("Update a user", body={"role": ROLE, "password": STRING}),
            "delete": _op("Delete a user (admin)", "204"),
        },
        "/api/v1/projects": {
            "get": _op("List projects, newest first"),
            "post": _op("Create a project", "201", body={"name": STRING, "description": STRING}),
        },
        "/api/v1/projects/{id}": {
            "parameters": _params("id"),
            "get": _op("Get a project"),
            "patch": _op("Update a project", body={"name": STRING, "description": STRING}),
            "delete": _op("Delete a project and its tasks", "204"),
        },
        "/api/v1/projects/{id}/tasks": {
            "parameters": _params("id"),
            "get": _op("List a project's tasks"),
            "post": _op("Create a task", "201",
                        body={"title": STRING, "status": STATUS, "assignee_id": ID}),
        },
        "/api/v1/projects/{id}/tasks/{task_id}": {
            "parameters": _params("id", "task_id"),
            "get": _op("Get a task"),
            "patch": _op("Update a task",
                         body={"title": STRING, "status": STATUS, "assignee_id": ID}),
            "delete": _op("Delete a task", "204"),
        },
    },
}
