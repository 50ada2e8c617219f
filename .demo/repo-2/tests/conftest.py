from types import SimpleNamespace

import pytest

API = "/api/v1"


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("JWT_SECRET_KEY", "test-secret-key-for-the-suite-only")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'test.db'}")
    monkeypatch.setenv("RATE_LIMIT_PER_MINUTE", "1000")
    monkeypatch.delenv("ACCESS_TOKEN_TTL_SECONDS", raising=False)
    monkeypatch.delenv("REFRESH_TOKEN_TTL_SECONDS", raising=False)
    from app import create_app

    return create_app()


@pytest.fixture
def client(app):
    return app.test_client()


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def make_tenant(client):
    """Create a tenant, log its admin in, and return ids, tokens and auth headers."""

    def _make(name: str = "acme", password: str = "admin-password"):
        email = f"admin@{name}.test"
        resp = client.post(f"{API}/tenants", json={
            "name": name, "admin_email": email, "admin_password": password,
        })
        assert resp.status_code == 201, resp.get_json()
        body = resp.get_json()
        login = client.post(f"{API}/auth/login", json={
            "tenant_id": body["id"], "email": email, "password": password,
        })
        assert login.status_code == 200, login.get_json()
        tokens = login.get_json()
        return SimpleNamespace(id=body["id"], admin_id=body["admin"]["id"], email=email,
                               tokens=tokens, headers=bearer(tokens["access_token"]))

    return _make


@pytest.fixture
def make_member(client):
    """Create a member in `tenant` (as its admin) and return its auth headers."""

    def _make(tenant, email: str = "member@example.test", password: str = "member-password"):
        resp = client.post(f"{API}/users", headers=tenant.headers,
                           json={"email": email, "password": password, "role": "member"})
        assert resp.status_code == 201, resp.get_json()
        login = client.post(f"{API}/auth/login", json={
            "tenant_id": tenant.id, "email": email, "password": password,
        })
        assert login.status_code == 200
        return SimpleNamespace(id=resp.get_json()["id"],
                               headers=bearer(login.get_json()["access_token"]))

    return _make
