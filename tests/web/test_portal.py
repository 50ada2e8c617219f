"""The candidate portal: what a candidate can do and read through their invitation link."""

from __future__ import annotations

import html as entities
import re
import shutil
import subprocess

import pytest

from grader.models import SubmissionStatus as S
from tests.conftest import TEST_ASSESSMENTS
from tests.web.conftest import csrf_of
from tests.web.portal_builders import REPO, add_submission, move_deadline_into_past, revoke, submissions_of

HOSTILE = "<script>alert(1)</script> \x1b[31mred\x1b[0m"


def page(client, token: str, path: str = "") -> str:
    response = client.get(f"/i/{token}{path}")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def post_submission(client, token: str, repo_url: str = REPO, ref: str = "main", csrf: str | None = None):
    csrf = csrf or csrf_of(page(client, token))
    return client.post(f"/i/{token}/submissions", data={"repo_url": repo_url, "ref": ref, "csrf_token": csrf})


def text_of(html: str) -> str:
    """The visible words of a page, whitespace collapsed (what a person reads)."""
    return entities.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


# The page


def test_portal_shows_the_brief_the_expected_time_and_the_deadline(client, invite):
    _, token = invite("perf-challenge")
    words = text_of(page(client, token))
    assert "perf-challenge — app contract" in words  # brief.md's heading, rendered from Markdown
    assert "Expected time about 4 hours" in words
    assert re.search(r"Deadline \d{4}-\d\d-\d\d \d\d:\d\d UTC", words)
    assert "Attempts 3 left of 3" in words


def test_the_brief_is_rendered_as_markdown(client, invite):
    _, token = invite("perf-challenge")
    assert "<h1>perf-challenge — app contract</h1>" in page(client, token)


def test_opening_the_link_marks_the_invitation_opened(app, client, invite):
    from grader.services import invitations

    invitation_id, token = invite()
    page(client, token)
    with app.app_context():
        assert invitations.by_public_id(invitation_id).opened_at is not None


def test_an_unknown_link_is_not_found(client):
    for path in ("", "/status", "/handout"):
        assert client.get(f"/i/not-a-real-token{path}").status_code == 404


def test_a_withdrawn_invitation_is_gone_everywhere(app, client, invite):
    invitation_id, token = invite("perf-challenge")
    csrf = csrf_of(page(client, token))
    revoke(app, invitation_id)
    for path in ("", "/status", "/handout"):
        response = client.get(f"/i/{token}{path}")
        assert response.status_code == 410
        assert "withdrawn by the hiring team" in response.get_data(as_text=True)
    assert post_submission(client, token, csrf=csrf).status_code == 410
    assert submissions_of(app, invitation_id) == []


# The handout


def test_the_handout_downloads_as_a_git_bundle_that_clones(client, invite, tmp_path):
    _, token = invite("perf-challenge")
    response = client.get(f"/i/{token}/handout")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == "attachment; filename=perf-challenge.bundle"
    bundle = tmp_path / "perf-challenge.bundle"
    bundle.write_bytes(response.get_data())
    subprocess.run(["git", "clone", "-q", str(bundle), str(tmp_path / "my-solution")], check=True)
    log = subprocess.run(["git", "-C", str(tmp_path / "my-solution"), "log", "--format=%an"],
                         check=True, capture_output=True, text=True).stdout.split()
    assert log == ["grader"]  # one commit, the grader's
    assert (tmp_path / "my-solution" / "requirements.txt").is_file()


def test_the_page_explains_how_to_use_the_handout(client, invite):
    _, token = invite("perf-challenge")
    words = text_of(page(client, token))
    assert "git clone perf-challenge.bundle my-solution" in words
    assert "The first commit is the grader's starting point" in words


def test_an_assessment_without_handout_offers_no_download(client, invite):
    _, token = invite("notes-api")
    assert "Download" not in page(client, token)
    assert client.get(f"/i/{token}/handout").status_code == 404


# Submitting


def test_submitting_creates_a_queued_submission_bound_to_the_invitation(app, client, invite):
    invitation_id, token = invite()
    response = post_submission(client, token, ref="")
    assert response.status_code == 302 and response.headers["Location"] == f"/i/{token}"
    assert submissions_of(app, invitation_id) == [("queued", "main", REPO)]
    words = text_of(page(client, token))
    assert "Submitted. Grading has started" in words
    assert "Waiting for a free grader" in words


def test_a_refused_repository_url_is_shown_and_creates_nothing(app, client, invite):
    invitation_id, token = invite()
    response = post_submission(client, token, repo_url="ext::sh -c touch% /tmp/pwned")
    assert response.status_code == 422
    assert "remote-helper URLs (such as ext::) are never allowed" in response.get_data(as_text=True)
    assert submissions_of(app, invitation_id) == []


def test_an_invalid_ref_is_refused_with_422(app, client, invite):
    invitation_id, token = invite()
    response = post_submission(client, token, ref="--upload-pack=evil")
    assert response.status_code == 422
    assert submissions_of(app, invitation_id) == []


def test_a_post_without_csrf_token_is_refused_and_creates_nothing(app, client, invite):
    invitation_id, token = invite()
    page(client, token)
    response = client.post(f"/i/{token}/submissions", data={"repo_url": REPO, "ref": "main"})
    assert response.status_code == 400
    assert submissions_of(app, invitation_id) == []


def test_a_passed_deadline_refuses_submissions(app, client, invite):
    invitation_id, token = invite()
    csrf = csrf_of(page(client, token))
    move_deadline_into_past(app, invitation_id)
    response = post_submission(client, token, csrf=csrf)
    assert response.status_code == 403
    assert "The deadline has passed" in response.get_data(as_text=True)
    assert submissions_of(app, invitation_id) == []


def test_a_passed_deadline_replaces_the_form_with_the_reason(app, client, invite):
    invitation_id, token = invite()
    move_deadline_into_past(app, invitation_id)
    html = page(client, token)
    assert "<form method=\"post\" action=\"/i/" not in html
    assert "The deadline has passed, so submissions are closed." in text_of(html)


def test_attempts_run_out_after_the_allowed_number(app, client, invite):
    invitation_id, token = invite(attempts=2)
    csrf = csrf_of(page(client, token))
    for _ in range(2):
        add_submission(app, invitation_id, status=S.COMPLETED, score=(10, 100))
    html = page(client, token)
    assert "All 2 attempts have been used." in text_of(html) and 'name="repo_url"' not in html
    assert post_submission(client, token, csrf=csrf).status_code == 403
    assert len(submissions_of(app, invitation_id)) == 2


@pytest.mark.parametrize("code", ["sandbox_error", "internal_error", "infrastructure"])
def test_a_failure_on_our_side_does_not_use_an_attempt(app, client, invite, code):
    invitation_id, token = invite(attempts=1)
    add_submission(app, invitation_id, status=S.FAILED, reached=S.INSTALLING, code=code,
                   reason="sandbox failed while installing dependencies: docker said 500")
    words = text_of(page(client, token))
    assert "Attempts 1 left of 1" in words
    assert "Something went wrong on our side; this attempt does not count against you" in words
    assert "docker said 500" not in words  # our internals stay ours
    assert post_submission(client, token).status_code == 302


def test_a_submission_in_progress_closes_the_form_until_it_finishes(app, client, invite):
    invitation_id, token = invite()
    add_submission(app, invitation_id, status=S.TESTING)
    html = page(client, token)
    assert 'name="repo_url"' not in html
    assert "Your latest submission is still being graded" in text_of(html)


# Isolation between links


def test_a_link_shows_only_its_own_submissions(app, client, invite):
    mine, my_token = invite(email="ada@example.com")
    theirs, _ = invite(email="grace@example.com")
    add_submission(app, mine, repo_url="http://127.0.0.1:9418/ada/mine.git")
    add_submission(app, theirs, repo_url="http://127.0.0.1:9418/grace/theirs.git")
    for path in ("", "/status"):
        html = page(client, my_token, path)
        assert "ada/mine.git" in html and "grace/theirs.git" not in html


# Live status


def test_the_status_fragment_names_the_current_stage_in_words(app, client, invite):
    invitation_id, token = invite()
    add_submission(app, invitation_id, status=S.INSTALLING)
    html = page(client, token, "/status")
    current = re.search(r'<li class="stage current" aria-current="step">\s*([^<]+)<', html)
    assert current and current.group(1).strip() == "Installing your dependencies"
    assert re.search(r'<li class="stage done"[^>]*>\s*Fetching your repository', html)
    assert "<html" not in html  # a fragment, not a page


def test_the_status_polls_while_grading_runs(app, client, invite):
    invitation_id, token = invite()
    add_submission(app, invitation_id, status=S.QUEUED)
    html = page(client, token, "/status")
    assert f'hx-get="/i/{token}/status"' in html
    assert 'hx-trigger="every 2s"' in html and 'hx-swap="outerHTML"' in html


def test_polling_stops_once_every_submission_is_finished(app, client, invite):
    invitation_id, token = invite()
    add_submission(app, invitation_id, status=S.COMPLETED, score=(50, 100))
    add_submission(app, invitation_id, status=S.FAILED, reached=S.CLONING, code="clone_failed", reason="no such ref")
    for path in ("", "/status"):
        html = page(client, token, path)
        assert "hx-trigger" not in html and "hx-get" not in html


def test_polling_also_refreshes_the_submit_panel(app, client, invite):
    invitation_id, token = invite()
    add_submission(app, invitation_id, status=S.COMPLETED, score=(50, 100))
    html = client.get(f"/i/{token}/status", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert '<section id="submit-panel" aria-labelledby="submit-title" hx-swap-oob="true">' in html
    assert 'name="repo_url"' in html  # the finished grading reopens the form without a reload


# What a candidate is told after grading


def test_the_score_is_hidden_unless_the_assessment_shows_it(app, client, invite):
    invitation_id, token = invite()
    add_submission(app, invitation_id, status=S.COMPLETED, score=(37.5, 100),
                   categories={"correctness": {"score": 37.5, "max": 80}},
                   checks=({"check_id": "create-note", "title": "POST /notes stores a note", "category": "correctness",
                            "outcome": "failed", "message": "expected 201, got 500"},))
    words = text_of(page(client, token))
    assert "Your submission was graded. The hiring team has the results" in words
    assert "37.5" not in words and "POST /notes stores a note" not in words and "expected 201" not in words


def test_an_assessment_may_show_the_score_and_checks_but_never_messages(app, client, invite, tmp_path):
    folder = tmp_path / "assessments" / "notes-open"
    shutil.copytree(TEST_ASSESSMENTS / "notes-api", folder)
    yaml = (folder / "assessment.yaml").read_text().replace("slug: notes-api", "slug: notes-open")
    (folder / "assessment.yaml").write_text(yaml + "candidate_feedback: {score: true, checks: true}\n")
    app.config["GRADER_ASSESSMENTS_PATH"] += f":{folder.parent}"
    invitation_id, token = invite("notes-open")
    add_submission(app, invitation_id, status=S.COMPLETED, score=(37.5, 100),
                   categories={"correctness": {"score": 37.5, "max": 80}},
                   checks=({"check_id": "create-note", "title": "POST /notes stores a note", "category": "correctness",
                            "outcome": "failed", "message": "expected 201, got 500", "evidence": [{"path": "/x"}]},))
    words = text_of(page(client, token))
    assert "Score: 37.5 of 100" in words
    assert "Endpoints behave as specified 37.5 / 80" in words
    assert "POST /notes stores a note: failed" in words
    assert "expected 201" not in words


def test_an_install_failure_names_the_refused_requirements_line(app, client, invite):
    invitation_id, token = invite()
    reason = ("install failed: requirements.txt line 3 is not allowed: 'git+https://example.com/evil.git'. "
              "Only exact pins like 'flask==3.1.0' or 'name[extra]==1.2' are accepted")
    add_submission(app, invitation_id, status=S.COMPLETED, code="install_failed", reason=reason, notes=reason,
                   logs={"install": "\n".join(f"pip line {n}" for n in range(1, 41))})
    words = text_of(page(client, token))
    assert "Your dependencies could not be installed" in words
    assert "requirements.txt line 3 is not allowed: 'git+https://example.com/evil.git'" in words
    assert "pip line 40" in words and "pip line 26" in words and "pip line 25 " not in words  # last 15 lines
    assert "Finished, but nothing could be tested" in words  # not a bare "Graded", which reads as success


def test_an_app_that_never_became_healthy_shows_why_and_its_startup_log(app, client, invite):
    invitation_id, token = invite()
    notes = "the app exited during startup with code 3"
    log = "\n".join(f"app line {n}" for n in range(1, 61)) + "\nModuleNotFoundError: No module named 'flask'"
    add_submission(app, invitation_id, status=S.COMPLETED, reason=notes, notes=notes, logs={"app": log, "tester": "x"})
    words = text_of(page(client, token))
    assert "Your app never became ready: the app exited during startup with code 3." in words
    assert "No module named 'flask'" in words
    assert "app line 32 " in words and "app line 31 " not in words  # the last 30 lines


def test_a_clone_failure_shows_the_reason(app, client, invite):
    invitation_id, token = invite()
    add_submission(app, invitation_id, status=S.FAILED, reached=S.CLONING, code="clone_failed",
                   reason="ref 'mian' was not found in the repository")
    html = page(client, token)
    assert "We could not fetch your repository" in text_of(html)
    assert "ref &#39;mian&#39; was not found in the repository" in html
    assert re.search(r'<li class="stage failed">\s*Fetching your repository', html)


def test_a_timeout_says_it_may_be_the_app_or_us_and_counts(app, client, invite):
    invitation_id, token = invite(attempts=1)
    add_submission(app, invitation_id, status=S.FAILED, reached=S.TESTING, code="timed_out",
                   reason="the hidden tests did not finish within 180 s")
    words = text_of(page(client, token))
    assert "your app answered too slowly" in words and "a problem on our side" in words
    assert "the hidden tests did not finish within 180 s" in words
    assert "All 1 attempts have been used." in words


def test_hostile_text_from_a_submission_renders_inert(app, client, invite):
    invitation_id, token = invite()
    add_submission(app, invitation_id, status=S.COMPLETED, code="install_failed", reason=f"install failed: {HOSTILE}",
                   logs={"install": HOSTILE})
    notes = f"the app did not answer /healthz within 30 s {HOSTILE}"
    add_submission(app, invitation_id, status=S.COMPLETED, notes=notes, logs={"app": HOSTILE, "startup": HOSTILE})
    add_submission(app, invitation_id, status=S.FAILED, code="clone_failed", reason=HOSTILE)
    for path in ("", "/status"):
        html = page(client, token, path)
        assert "<script>alert(1)</script>" not in html and "\x1b" not in html
        assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 4


def test_a_refused_url_is_echoed_inert(app, client, invite):
    """A hostile URL comes back in the refusal message: escaped, and without its terminal escapes."""
    _, token = invite()
    html_page = page(client, token)
    bad = "ftp://x/\x1b[2J<script>alert(1)</script>"
    answer = client.post(f"/i/{token}/submissions", data={"csrf_token": csrf_of(html_page), "repo_url": bad, "ref": "main"})
    body = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "<script>alert(1)" not in body and "\x1b" not in body
