"""The evidence page: what recruiters and interviewers read, and interviewers' notes, overrides and regrades."""

from __future__ import annotations

import html
import re

import pytest

from tests.web.conftest import csrf_of
from tests.web.evidence_builders import ESC, XSS, perf_submission, saas_submission


@pytest.fixture
def saas(app):
    with app.app_context():
        return saas_submission()


@pytest.fixture
def perf(app):
    with app.app_context():
        return perf_submission()


def _page(client, public_id) -> str:
    response = client.get(f"/submissions/{public_id}")
    assert response.status_code == 200, response.get_data(as_text=True)[:800]
    return response.get_data(as_text=True)


def _post(client, public_id, action, data):
    token = csrf_of(_page(client, public_id))
    return client.post(f"/submissions/{public_id}/{action}", data={**data, "csrf_token": token})


def test_interviewer_sees_the_failed_check_with_its_transcript_and_curl(make_staff, saas):
    text = _page(make_staff("interviewer"), saas)
    assert "Critical findings" in text and "Another tenant&#39;s users, projects or tasks can be read by id." in text
    assert 'href="#check-iso-get"' in text and 'id="check-iso-get"' in text
    assert text.index("Critical findings") < text.index("Score") < text.index("Signals") < text.index('id="check-iso-get"')
    assert "GET /api/v1/projects/7" in text and "text/html" in text and "2.4 ms" in text
    curls = [html.unescape(c) for c in re.findall(r'<pre class="evidence curl"><code>(.*?)</code>', text, re.S)]
    assert 'curl -i -X GET "$APP/api/v1/projects/7"' in curls
    post = next(c for c in curls if "-X POST" in c)
    assert post == ("curl -i -X POST \"$APP/api/v1/projects\" -H 'Content-Type: application/json' "
                    "--data-raw '{\"name\": \"it'\"'\"'s A\"}'")
    assert "set <code>APP</code>" in text


def test_interviewer_sees_signals_logs_timeline_history_and_diff(make_staff, saas):
    text = _page(make_staff("interviewer"), saas)
    assert "11 passed, 2 failed, 1 errors" in text and "82%" in text and "4 findings" in text
    assert "<summary>app</summary>" in text and "Status timeline" in text and "test</td>" in text
    assert "Changed since attempt 1" in text
    changed = re.findall(r'<a href="#check-([\w-]+)"><code>', text.split("Changed since attempt 1")[1].split("</ul>")[0])
    assert sorted(changed) == ["iso-get", "own-tests-pass", "pagination"]
    assert '<span class="diff-add">+new line</span>' in text and '<span class="diff-del">-old line</span>' in text
    assert "tok@" not in text  # credentials in the repository URL never shown


def test_an_answer_the_testers_caps_refused_says_why(make_staff, saas):
    text = _page(make_staff("interviewer"), saas)
    assert "Answer refused: GET /api/v1/projects: body over the 4 MiB cap once decompressed" in text


def test_recruiter_sees_verdict_and_outcomes_but_no_evidence(make_staff, saas):
    text = _page(make_staff("recruiter"), saas)
    assert "Critical findings" in text and 'id="check-iso-get"' in text and "outcome-failed" in text
    assert "11 passed, 2 failed, 1 errors" in text
    for hidden in ("curl", "/api/v1/projects/7", "gunicorn", "AssertionError", "new line", "Status timeline", "History",
                   "Add a note"):
        assert hidden not in text, hidden


@pytest.mark.parametrize("action, data", [
    ("notes", {"body": "hi"}), ("overrides", {"check_id": "iso-get", "points": "1", "reason": "x"}),
    ("regrade", {"reason": "x"}),
])
def test_recruiters_may_not_act(make_staff, saas, action, data):
    response = _post(make_staff("recruiter"), saas, action, data)
    assert response.status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, saas):
    for path in (f"/submissions/{saas}", f"/submissions/{saas}/charts/latency.svg"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_candidate_content_renders_inert(make_staff, saas):
    text = _page(make_staff("interviewer"), saas)
    assert XSS not in text and "<script>alert" not in text
    assert html.escape(XSS, quote=False) in text or "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert ESC not in text and "\x1b" not in text
    assert "[31m" not in text  # the whole escape sequence is gone, not only the ESC byte
    scripts = re.findall(r"<script[^>]*>", text)
    assert all("src=" in s for s in scripts)  # only the page's own external scripts


def test_an_override_changes_the_score_and_is_listed(make_staff, saas):
    client = make_staff("interviewer", "ian@example.com")
    before = _page(client, saas)
    assert re.search(r"<strong>([\d.]+)</strong> / 100", before)
    graded = float(re.search(r"<strong>([\d.]+)</strong> / 100", before).group(1))
    response = _post(client, saas, "overrides", {"check_id": "own-tests-pass", "points": "1.5", "reason": "flaky on CI"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/submissions/{saas}#reviews")
    text = _page(client, saas)
    assert f"<strong>{graded + 1.5:g}</strong> / 100" in text and f"graded {graded:g} before overrides" in text
    assert "flaky on CI" in text and "ian@example.com" in text
    card = text.split('id="check-own-tests-pass"')[1].split("</article>")[0]
    assert "Overridden from 0 to 1.5" in card and "flaky on CI" in card and "ian@example.com" in card


def test_a_note_is_listed_near_its_check(make_staff, saas):
    client = make_staff("interviewer", "nora@example.com")
    response = _post(client, saas, "notes", {"check_id": "iso-get", "body": "Ask about the tenant filter"})
    assert response.status_code == 302
    text = _page(client, saas)
    card = text.split('id="check-iso-get"')[1].split("</article>")[0]
    assert "Ask about the tenant filter" in card and "nora@example.com" in card
    assert "Note added." in text


def test_a_regrade_is_recorded_and_queues_the_submission(app, make_staff, saas):
    client = make_staff("admin", "root@example.com")
    response = _post(client, saas, "regrade", {"reason": "suite fixed"})
    assert response.status_code == 302
    text = _page(client, saas)
    assert "status <strong>queued</strong>" in text and "regrade requested" in text
    assert "suite fixed" in text and "root@example.com" in text


@pytest.mark.parametrize("action, data, message", [
    ("overrides", {"check_id": "iso-get", "points": "", "reason": "x"}, "points are required"),
    ("overrides", {"check_id": "iso-get", "points": "99", "reason": "x"}, "points must be between 0 and"),
    ("overrides", {"check_id": "iso-get", "points": "1", "reason": " "}, "a reason is required"),
    ("overrides", {"check_id": "nope", "points": "1", "reason": "x"}, "Not a valid choice"),
    ("notes", {"body": ""}, "a note is required"),
    ("regrade", {"reason": ""}, "a reason is required"),
])
def test_invalid_input_re_renders_with_the_message(make_staff, saas, action, data, message):
    response = _post(make_staff("interviewer"), saas, action, data)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert message in text and 'role="alert"' in text and 'id="check-iso-get"' in text


def test_a_post_without_csrf_token_is_refused(make_staff, saas):
    client = make_staff("interviewer")
    response = client.post(f"/submissions/{saas}/notes", data={"body": "no token"})
    assert response.status_code == 400
    assert "no token" not in _page(client, saas)


def test_perf_submission_shows_the_before_after_table(make_staff, perf):
    text = _page(make_staff("interviewer"), perf)
    table = text.split('<table class="compact perf">')[1].split("</table>")[0]
    assert "books-list" in table and "21 · 101" in table and "2 · 2" in table and "30x" in table
    assert "900" in table and "80.0" in table and "all (mixed load)" in table
    assert "SELECT * FROM reviews WHERE book_id = $1" in text
    assert f'src="/submissions/{perf}/charts/latency.svg"' in text and f'src="/submissions/{perf}/charts/timeline.svg"' in text
    assert "statements per request (large)" in text and "starter 101 → candidate 2" in text
    assert "p95 ratio" in text and "1.14x" in text


def test_perf_submission_says_how_its_figures_were_taken(make_staff, perf):
    text = _page(make_staff("interviewer"), perf)
    assert "Measured under interference" in text
    assert "measured earlier on this host (2026-11-28T09:00:00+00:00)" in text and "moved 4%" in text
    assert "waited 12.5 s to hold the host alone" in text
    assert "candidate: 41 s, load average 1.2 → 2.9, other processes 0.9 cores, CPU throttled 6.9 s" in text
    assert "under interference: other processes used 0.90 cores" in text


def test_a_saas_submission_has_no_measurement_conditions(make_staff, saas):
    assert "How these figures were taken" not in _page(make_staff("interviewer"), saas)


def test_recruiters_read_how_firm_a_score_of_that_version_is(make_staff, perf):
    text = _page(make_staff("recruiter"), perf)
    assert "How firm: repeated gradings of this version moved a total by at most 1.4 points" in text
    assert "12 fixtures graded 5 times, measured 2026-12-07" in text


def test_a_version_never_measured_makes_no_claim_of_firmness(make_staff, saas):
    assert "How firm" not in _page(make_staff("recruiter"), saas)


def test_interviewers_read_the_candidates_account_as_inert_markdown(make_staff, perf):
    text = _page(make_staff("interviewer"), perf)
    account = text.split('id="account">')[1].split("</article>")[0]
    assert "<h1>What I changed</h1>" in account and "<strong>Eager loading</strong>" in account
    assert "<code>/books</code>" in account
    assert XSS not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in account
    assert 'href="javascript:' not in account and "[my notes](javascript:alert(1))" in account  # text, never a link
    assert "<img" not in account and "tracker.example" in account  # a picture shows as a link, never loads
    assert "(cut: the file is longer than the grader keeps)" in text
    assert text.index('id="perf-h"') < text.index('id="account-h"')  # beside the grader's own figures


def test_recruiters_see_only_whether_the_account_was_written(make_staff, perf):
    text = _page(make_staff("recruiter"), perf)
    present = text.split('id="account-present">')[1].split("</dd>")[0]
    assert present == "written"
    assert "Eager loading" not in text and 'id="account-h"' not in text


@pytest.mark.parametrize("name", ["latency", "timeline"])
def test_charts_are_script_free_svg(make_staff, perf, name):
    response = make_staff("interviewer").get(f"/submissions/{perf}/charts/{name}.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    body = response.get_data(as_text=True)
    assert body.startswith("<svg") and "<script" not in body.lower() and "no data" not in body
    assert "script-src" not in response.headers["Content-Security-Policy"]  # default-src 'none' covers scripts
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_charts_without_figures_say_so(make_staff, saas):
    client = make_staff("interviewer")
    for name in ("latency", "timeline"):
        response = client.get(f"/submissions/{saas}/charts/{name}.svg")
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        assert "no data" in response.get_data(as_text=True) and "<script" not in response.get_data(as_text=True)
    assert client.get(f"/submissions/{saas}/charts/other.svg").status_code == 404
    assert make_staff("recruiter").get(f"/submissions/{saas}/charts/latency.svg").status_code == 403


def test_an_unknown_submission_is_a_404_page(make_staff):
    response = make_staff("recruiter").get("/submissions/sub_missing")
    assert response.status_code == 404 and "no submission" in response.get_data(as_text=True)


def test_curl_quotes_whatever_the_path_holds():
    from grader.services.evidence import curl_for

    assert curl_for("get", "/x?a=1&b=2", "") == 'curl -i -X GET "$APP/x?a=1&b=2"'
    assert curl_for("GET", "/x/$(id)", "") == "curl -i -X GET \"$APP\"'/x/$(id)'"
    assert curl_for("GET", "http://app:8000/p", "") == 'curl -i -X GET "$APP/p"'
