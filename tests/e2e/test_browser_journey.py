"""The hiring journey in a real browser (Debian's Chromium, driven by Playwright) against the real
stack: gunicorn, a Celery worker on Redis, the git daemon and Docker gradings.

An admin creates a recruiter and an interviewer; the recruiter invites a candidate; the candidate
reads the brief, submits a repository whose requirements.txt is refused, reads why, fixes it and
watches the resubmission complete; the recruiter finds the verdict and category bars, exports CSV
(its rows match the table) and records a decision; the interviewer opens a seeded-defect
submission, finds the failed tenant-isolation check with its transcript and curl, adds a note and
an override, and the dashboard shows the new score. Each page is kept as a screenshot.
"""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.e2e.conftest import ADMIN_EMAIL, STAFF_PASSWORD, sign_in
from tests.factories import SUBMISSIONS, build_repo

pytestmark = [pytest.mark.slow, pytest.mark.browser]

FIXTURES = SUBMISSIONS.parent
RECRUITER, INTERVIEWER = "rita@example.com", "ivan@example.com"


def _publish_saas_defect(git_server, tmp_path) -> str:
    work = build_repo(tmp_path / "saas-defect", FIXTURES / "saas-api" / "reference",
                      FIXTURES / "saas-api" / "variants" / "object-no-tenant-check")
    return git_server.publish(work, "browser-saas-defect")


def _shot(page, screenshots, name: str) -> None:
    page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)


def _add_person(page, email: str, role: str) -> None:
    form = page.locator("form", has=page.get_by_role("button", name="Create account"))
    form.get_by_label("E-mail").fill(email)
    form.get_by_label("Name").fill(role.title())
    form.locator("select[name=role]").select_option(role)
    form.get_by_label("Initial password").fill(STAFF_PASSWORD)
    form.get_by_role("button", name="Create account").click()
    page.get_by_text(email).first.wait_for()


def _table_rows(page) -> list[list[str]]:
    return [[c.strip() for c in row.locator("td").all_inner_texts()] for row in page.locator("table.candidates tbody tr").all()]


def test_the_hiring_journey_in_a_browser(web_stack, open_page, git_server, screenshots, tmp_path):
    # A seeded defect graded in the background while people work (its evidence is read at the end).
    defect = web_stack.submit(_publish_saas_defect(git_server, tmp_path), assessment="saas-api")
    broken = git_server.publish(SUBMISSIONS / "notes-api" / "unpinned", "browser-broken")
    fixed = git_server.publish(SUBMISSIONS / "notes-api" / "good", "browser-fixed")

    # The admin creates a recruiter and an interviewer.
    admin = open_page()
    sign_in(admin, ADMIN_EMAIL)
    admin.get_by_role("link", name="People").click()
    _add_person(admin, RECRUITER, "recruiter")
    _add_person(admin, INTERVIEWER, "interviewer")
    _shot(admin, screenshots, "01-admin-people")

    # The recruiter invites a candidate; the link is shown once.
    recruiter = open_page()
    sign_in(recruiter, RECRUITER)
    recruiter.get_by_role("button", name="Invite a candidate").click()
    recruiter.get_by_label("Candidate's name").fill("Grace Hopper")
    recruiter.get_by_label("Candidate's e-mail").fill("grace@example.com")
    recruiter.get_by_label("Assessment").select_option("notes-api")
    recruiter.get_by_role("button", name="Create invitation").click()
    link = recruiter.locator("#invitation-link").input_value()
    assert re.search(r"/i/[A-Za-z0-9_-]{40,}$", link), link
    _shot(recruiter, screenshots, "02-invitation-created")

    # The candidate reads the brief, submits a broken requirements.txt and reads why.
    candidate = open_page()
    candidate.goto(link)
    candidate.get_by_role("heading", name="Notes API (pipeline fixture)").wait_for()
    candidate.get_by_text("The brief").click()
    candidate.get_by_label("Repository URL").fill(broken)
    candidate.get_by_role("button", name="Submit for grading").click()
    candidate.get_by_text("requirements.txt line 1 is not allowed").first.wait_for(timeout=180_000)
    _shot(candidate, screenshots, "03-portal-refused")

    # … fixes it, resubmits and watches it complete.
    candidate.get_by_label("Repository URL").fill(fixed)
    candidate.get_by_role("button", name="Submit for grading").click()
    newest = candidate.locator("#submissions article.submission").first
    newest.locator(".status-completed").wait_for(timeout=240_000)
    assert "Your submission was graded" in newest.inner_text()
    _shot(candidate, screenshots, "04-portal-graded")

    # The recruiter finds the candidate: verdict and category bars; CSV rows match the table.
    recruiter.goto("/dashboard/?assessment=notes-api")
    row = recruiter.locator("table.candidates tbody tr", has_text="grace@example.com")
    assert row.locator(".verdict").inner_text().strip() in {"Strong", "Mixed", "Weak", "Critical findings"}
    assert row.locator("meter").count() >= 2
    _shot(recruiter, screenshots, "05-dashboard")
    with recruiter.expect_download() as download:
        recruiter.get_by_role("link", name="Export these rows as CSV").click()
    exported = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    table = _table_rows(recruiter)
    assert len(exported) == len(table) >= 1
    shown = [(r[1].split("\n")[0], r[1].split("\n")[-1], r[2], r[4].split(" / ")[0]) for r in table]
    assert shown == [(e["Candidate"], e["E-mail"], e["Status"], e["Score"] or "—") for e in exported]

    # … and records a decision, with who and when.
    row.get_by_role("link", name="Decide").click()
    recruiter.get_by_label("Decision").select_option("advance")
    recruiter.get_by_label("Note").fill("Clean fix after the first attempt.")
    recruiter.get_by_role("button", name="Record decision").click()
    recruiter.goto("/dashboard/?assessment=notes-api")
    decided = recruiter.locator("table.candidates tbody tr", has_text="grace@example.com")
    assert "advance" in decided.inner_text().lower() and RECRUITER in decided.inner_text()
    _shot(recruiter, screenshots, "06-dashboard-decision")

    # The interviewer opens the seeded defect: the failed tenant-isolation check, its transcript and curl.
    graded = web_stack.wait(defect["id"])
    assert graded["verdict"]["id"] == "critical"
    interviewer = open_page()
    sign_in(interviewer, INTERVIEWER)
    interviewer.goto(f"/submissions/{defect['id']}")
    interviewer.get_by_role("heading", name="Critical findings").wait_for()
    check = interviewer.locator("article.check", has=interviewer.locator("code", has_text=re.compile("^iso-get$")))
    assert "failed" in check.locator("header").inner_text()
    assert check.get_by_text("HTTP exchanges").count() == 1
    curls = "\n".join(check.locator("pre.curl").all_inner_texts())
    assert re.search(r'curl -i -X GET "\$APP/api/v1/(users|projects)/', curls), curls  # the cross-tenant read
    _shot(interviewer, screenshots, "07-evidence")

    # A note and an override with a reason; the dashboard shows the new score.
    note_form = interviewer.locator("form", has=interviewer.get_by_role("button", name="Add note"))
    note_form.locator("select[name=check_id]").select_option("iso-get")
    note_form.locator("[name=body]").fill("Ask how they scope queries by tenant.")
    note_form.get_by_role("button", name="Add note").click()
    interviewer.get_by_text("Ask how they scope queries by tenant.").first.wait_for()
    override_form = interviewer.locator("form", has=interviewer.get_by_role("button", name="Override"))
    override_form.locator("select[name=check_id]").select_option("iso-get")
    override_form.get_by_role("spinbutton", name="Points").fill("1")
    override_form.locator("[name=reason]").fill("Reads are scoped in their fork; partial credit.")
    override_form.get_by_role("button", name="Override").click()
    interviewer.get_by_text("Reads are scoped in their fork; partial credit.").first.wait_for()
    _shot(interviewer, screenshots, "08-evidence-override")
    after = web_stack.report(defect["id"])
    assert after["score"]["total"] == pytest.approx(graded["score"]["total"] + 1, abs=0.011)
    recruiter.goto("/dashboard/?assessment=saas-api")
    defect_row = recruiter.locator("table.candidates tbody tr", has_text="ada@example.com")
    assert f"{after['score']['total']:g}" in defect_row.locator("td.num").inner_text()
    _shot(recruiter, screenshots, "09-dashboard-after-override")
