"""Staff sign-in: sessions, CSRF, attempt limits, security headers."""

from tests.web.conftest import PASSWORD, csrf_of, login


def test_staff_sign_in_and_reach_the_dashboard(make_staff):
    client = make_staff("recruiter")
    assert client.get("/dashboard/").status_code == 200


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_wrong_password_does_not_sign_in(app, make_staff, client):
    make_staff("recruiter", "grace@example.com")
    response = login(client, "grace@example.com", "wrong-password-123")
    assert response.status_code == 200 and "Wrong e-mail or password" in response.get_data(as_text=True)
    assert client.get("/dashboard/").status_code == 302


def test_a_form_post_without_csrf_token_is_refused(app, make_staff, client):
    make_staff("recruiter", "grace@example.com")
    response = client.post("/login", data={"email": "grace@example.com", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/dashboard/").status_code == 302


def test_sign_in_attempts_are_limited(app, client):
    token = csrf_of(client.get("/login").get_data(as_text=True))
    statuses = [client.post("/login", data={"email": "x@example.com", "password": "nope-nope-nope", "csrf_token": token}).status_code
                for _ in range(12)]
    assert statuses[:10] == [200] * 10
    assert statuses[10:] == [429, 429]


def test_pages_send_security_headers_and_no_referrer(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_session_cookie_is_http_only_and_lax(app, make_staff):
    client = make_staff("recruiter")
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"


def test_changing_a_password_ends_existing_sessions(app, make_staff):
    from grader.services import users

    client = make_staff("interviewer", "ian@example.com")
    with app.app_context():
        user = next(u for u in users.list_users() if u.email == "ian@example.com")
        users.update(user.id, password="another-long-password")
    assert client.get("/dashboard/").status_code == 302


def test_cli_creates_the_first_admin(runner):
    from grader.cli import main

    result = runner.invoke(main, args=["users", "create", "--role", "admin", "--password", PASSWORD, "root@example.com"])
    assert result.exit_code == 0, result.output
    assert "created admin root@example.com" in result.output


def test_a_session_past_its_lifetime_is_refused(app, make_staff):
    """The signed cookie carries its age; the server refuses it once the lifetime has passed."""
    import time
    from datetime import timedelta

    client = make_staff("recruiter")
    app.permanent_session_lifetime = timedelta(seconds=1)
    time.sleep(2.1)
    assert client.get("/dashboard/").status_code == 302
