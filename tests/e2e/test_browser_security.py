"""Candidate-controlled content stays inert in a real browser, and roles hold on every staff page."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import ADMIN_EMAIL, STAFF_PASSWORD, sign_in
from tests.factories import SUBMISSIONS

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_a_script_in_a_candidates_response_or_log_never_runs(web_stack, open_page, git_server, screenshots):
    """The hostile app answers and logs <script> and terminal escapes; pages show them as text."""
    hostile = web_stack.submit(git_server.publish(SUBMISSIONS / "notes-api" / "hostile", "browser-hostile"))
    report = web_stack.wait(hostile["id"])
    assert report["status"] == "completed"
    page = open_page()
    violations = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None)
    sign_in(page, ADMIN_EMAIL, STAFF_PASSWORD)
    page.goto(f"/submissions/{hostile['id']}")
    for summary in page.locator("summary").all():
        summary.click()  # open every log and transcript
    html = page.content()
    assert page.evaluate("() => window.__pwned") is None and "pwned" not in page.title()
    assert "document.title = 'pwned'" in page.locator("body").inner_text()  # shown, as text
    assert "<script>document.title" not in html and "\x1b" not in html
    assert violations == []  # nothing even tried to run
    page.screenshot(path=str(screenshots / "10-evidence-hostile.png"), full_page=True)


def test_a_recruiter_gets_403_on_staff_only_pages(web_stack, open_page):
    page = open_page()
    sign_in(page, ADMIN_EMAIL, STAFF_PASSWORD)
    page.goto("/admin/users")
    form = page.locator("form", has=page.get_by_role("button", name="Create account"))
    form.get_by_label("E-mail").fill("rae@example.com")
    form.locator("select[name=role]").select_option("recruiter")
    form.get_by_label("Initial password").fill(STAFF_PASSWORD)
    form.get_by_role("button", name="Create account").click()
    recruiter = open_page()
    sign_in(recruiter, "rae@example.com")
    response = recruiter.goto("/admin/users")
    assert response.status == 403
    assert recruiter.get_by_role("heading", name="Not allowed").is_visible()
