"""The recruiter dashboard: one row per candidate, filters, sort, CSV, decisions, comparison, invitations."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.web.conftest import csrf_of
from tests.web.dashboard_builders import add_submission, table_rows

T0 = datetime(2030, 1, 1, 9, 0)
STAFF_PAGES = ["/dashboard/", "/dashboard/export.csv", "/dashboard/compare?ids=a,b", "/dashboard/invitations",
               "/dashboard/invitations/new", "/dashboard/decisions?assessment=notes-api&email=a@example.com"]


@pytest.fixture
def candidates(app):
    """Ada (two attempts: 40 then 95), Bob (70, critical), Cy (still testing), Dee (invited, nothing submitted)."""
    from grader.services import invitations

    with app.app_context():
        first = add_submission("Ada Lovelace", "ada@example.com", score=40, verdict="weak", at=T0,
                               failed=("create-note", "get-note")).public_id
        latest = add_submission("Ada Lovelace", "ada@example.com", score=95, verdict="strong", at=T0 + timedelta(days=1),
                                failed=("bad-input-422",)).public_id
        bob = add_submission("Bob Byte", "bob@example.com", score=70, verdict="critical", at=T0 + timedelta(hours=2),
                             findings=("Another tenant's notes can be read.",), failed=("get-note",)).public_id
        add_submission("Cy Coder", "cy@example.com", status="testing", at=T0 + timedelta(hours=3))
        invitations.invite(invitations.NewInvitation("notes-api", "Dee Dev", "dee@example.com",
                                                     invitations.default_deadline(), 3))
    return {"ada_first": first, "ada_latest": latest, "bob": bob}


def _table(client, query: str = "") -> list[list[str]]:
    response = client.get(f"/dashboard/?assessment=notes-api{query}")
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return [r for r in table_rows(response.get_data(as_text=True)) if len(r) > 1]


def _emails(rows: list[list[str]]) -> list[str]:
    return [row[1].split()[-1] for row in rows]


@pytest.mark.parametrize("path", STAFF_PAGES + ["/admin/users"])
def test_anonymous_visitors_are_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["recruiter", "interviewer", "admin"])
def test_every_staff_role_reads_the_dashboard(make_staff, candidates, role):
    client = make_staff(role)
    for path in STAFF_PAGES:
        status = client.get(path).status_code
        assert status == (404 if "compare" in path else 200), path  # "a,b" are not submissions: a 404 page


def test_one_row_per_candidate_with_the_latest_attempt_and_earlier_ones_reachable(make_staff, candidates):
    client = make_staff("recruiter")
    page = client.get("/dashboard/?assessment=notes-api").get_data(as_text=True)
    rows = _table(client)
    assert sorted(_emails(rows)) == ["ada@example.com", "bob@example.com", "cy@example.com", "dee@example.com"]
    ada = next(r for r in rows if "ada@example.com" in r[1])
    assert ada[2] == "completed" and ada[3] == "Strong" and ada[4] == "95 / 100"
    assert "correctness 80/80" in ada[5] and "robustness 15/20" in ada[5]
    assert ada[9].startswith("2") and candidates["ada_first"] in ada[9]  # two attempts; the earlier one is listed
    assert f'value="{candidates["ada_latest"]}"' in page  # the latest is the one picked for comparison
    bob = next(r for r in rows if "bob@example.com" in r[1])
    assert "Critical findings" in bob[3] and "Another tenant's notes can be read." in bob[3]
    assert next(r for r in rows if "dee@example.com" in r[1])[2] == "invited"
    assert next(r for r in rows if "cy@example.com" in r[1])[2:5] == ["testing", "—", "—"]


def test_the_assessment_defaults_to_the_first_one_having_candidates(make_staff, candidates):
    client = make_staff("recruiter")
    assert len([r for r in table_rows(client.get("/dashboard/").get_data(as_text=True)) if len(r) > 1]) == 4


@pytest.mark.parametrize(("query", "expected"), [
    ("&status=completed", {"ada@example.com", "bob@example.com"}),
    ("&status=invited", {"dee@example.com"}),
    ("&verdict=critical", {"bob@example.com"}),
    ("&verdict=none", {"cy@example.com", "dee@example.com"}),
    ("&score_min=60&score_max=80", {"bob@example.com"}),
    ("&score_min=90", {"ada@example.com"}),
    ("&q=BYTE", {"bob@example.com"}),
    ("&q=dee@", {"dee@example.com"}),
    ("&status=completed&q=zzz", set()),
])
def test_filters(make_staff, candidates, query, expected):
    assert set(_emails(_table(make_staff("recruiter"), query))) == expected


def test_sort_by_each_column_both_ways(make_staff, candidates):
    client = make_staff("recruiter")
    assert _emails(_table(client, "&sort=score&order=desc")) == ["ada@example.com", "bob@example.com",
                                                                   "cy@example.com", "dee@example.com"]
    assert _emails(_table(client, "&sort=score&order=asc"))[:2] == ["bob@example.com", "ada@example.com"]
    assert _emails(_table(client, "&sort=candidate&order=asc")) == ["ada@example.com", "bob@example.com",
                                                                     "cy@example.com", "dee@example.com"]
    assert _emails(_table(client, "&sort=verdict&order=asc"))[:2] == ["ada@example.com", "bob@example.com"]
    assert _emails(_table(client, "&sort=submitted&order=desc"))[:3] == ["ada@example.com", "cy@example.com",
                                                                         "bob@example.com"]
    for sort in ("status", "graded"):
        assert len(_table(client, f"&sort={sort}&order=asc")) == 4


def test_sortable_headers_are_links_that_flip_the_order(make_staff, candidates):
    page = make_staff("recruiter").get("/dashboard/?assessment=notes-api&sort=score&order=desc").get_data(as_text=True)
    assert "sort=score&amp;order=asc" in page and "sort=candidate&amp;order=desc" in page


@pytest.mark.parametrize(("query", "message"), [
    ("status=lost", "status must be one of"), ("score_min=abc", "score_min must be a number"),
    ("score_min=9&score_max=1", "the lowest score must not exceed the highest"), ("sort=email", "sort must be one of"),
    ("order=up", "order must be asc or desc"), ("assessment=nope", "unknown assessment"),
])
def test_bad_filters_are_refused_with_a_message(make_staff, candidates, query, message):
    for path in ("/dashboard/", "/dashboard/export.csv"):
        response = make_staff("recruiter").get(f"{path}?{query}")
        assert response.status_code == 422 and message in html.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("query", ["", "&sort=score&order=asc", "&status=completed&sort=candidate&order=desc", "&q=e"])
def test_the_csv_export_has_the_tables_rows(make_staff, candidates, query):
    client = make_staff("recruiter")
    table = _table(client, query)
    response = client.get(f"/dashboard/export.csv?assessment=notes-api{query}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    exported = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["E-mail"] for r in exported] == _emails(table)
    assert [r["Status"] for r in exported] == [r[2] for r in table]
    assert [f'{r["Score"]} / {r["Max"]}' if r["Score"] else "—" for r in exported] == [r[4] for r in table]
    assert all(cell[3].startswith(r["Verdict"] or "—") for cell, r in zip(table, exported, strict=True))  # the badge, then findings


def test_the_csv_export_neutralises_formulas(app, make_staff):
    with app.app_context():
        add_submission("=HYPERLINK(\"http://evil\")", "eve@example.com", score=10, verdict="weak")
        add_submission("@SUM(A1)", "sam@example.com", score=20, verdict="weak")
    text = make_staff("recruiter").get("/dashboard/export.csv?assessment=notes-api").get_data(as_text=True)
    names = {r["Candidate"] for r in csv.DictReader(io.StringIO(text))}
    assert names == {"'=HYPERLINK(\"http://evil\")", "'@SUM(A1)"}


def test_a_decision_is_recorded_with_author_and_time_and_shown(make_staff, candidates):
    client = make_staff("recruiter", "rita@example.com")
    page = client.get("/dashboard/decisions?assessment=notes-api&email=bob@example.com").get_data(as_text=True)
    assert "No decision yet." in page
    for decision, note in (("hold", "talk first"), ("reject", "tenant leak")):
        response = client.post("/dashboard/decisions", data={"assessment": "notes-api", "email": "bob@example.com",
                                                              "decision": decision, "note": note, "csrf_token": csrf_of(page)})
        assert response.status_code == 302
    history = table_rows(client.get(response.headers["Location"]).get_data(as_text=True))
    assert [row[1:] for row in history] == [["reject", "tenant leak", "rita@example.com"],
                                            ["hold", "talk first", "rita@example.com"]]
    assert history[0][0].endswith("UTC") and history[0][0][:4].isdigit()
    bob = next(r for r in _table(client) if "bob@example.com" in r[1])
    assert "reject" in bob[8] and "rita@example.com" in bob[8]
    exported = client.get("/dashboard/export.csv?assessment=notes-api&q=bob").get_data(as_text=True)
    row = next(csv.DictReader(io.StringIO(exported)))
    assert (row["Decision"], row["Decision note"], row["Decided by"]) == ("reject", "tenant leak", "rita@example.com")


def test_a_bad_decision_is_refused(make_staff, candidates):
    client = make_staff("recruiter")
    token = csrf_of(client.get("/dashboard/").get_data(as_text=True))
    response = client.post("/dashboard/decisions", data={"assessment": "notes-api", "email": "bob@example.com",
                                                          "decision": "hire-now", "csrf_token": token})
    assert response.status_code == 422


def test_posts_without_csrf_token_are_refused(make_staff, candidates):
    client = make_staff("recruiter")
    assert client.post("/dashboard/decisions", data={"assessment": "notes-api", "email": "bob@example.com",
                                                      "decision": "advance"}).status_code == 400
    assert client.post("/dashboard/invitations/new", data={"name": "X", "email": "x@example.com"}).status_code == 400
    public_id = _invitation_ids(client)[0]
    assert client.post(f"/dashboard/invitations/{public_id}/revoke").status_code == 400


def test_compare_two_submissions_side_by_side(make_staff, candidates):
    client = make_staff("recruiter")
    response = client.get(f"/dashboard/compare?ids={candidates['ada_latest']}&ids={candidates['bob']}")
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    assert "Ada Lovelace" in page and "Bob Byte" in page and "Strong" in page and "Critical findings" in page
    assert "Another tenant's notes can be read." in page
    checks = {row[0].split()[0]: row[2:] for row in table_rows(page[page.find("<h2>Checks"):])}
    assert checks["get-note"] == ["passed 32/32", "failed 0/32"]
    assert checks["health"] == ["passed 16/16", "passed 16/16"]
    comma = client.get(f"/dashboard/compare?ids={candidates['ada_latest']},{candidates['ada_first']}")
    assert comma.status_code == 200


def test_compare_shows_an_interviewers_override(app, make_staff, candidates):
    from grader.extensions import db
    from grader.services import reviews
    from grader.services.submissions import get_by_public_id

    with app.app_context():
        reviews.override(get_by_public_id(candidates["bob"]), "get-note", 20, "fixture data was wrong", reviews.Author(label="ivan"))
        db.session.commit()
    client = make_staff("recruiter")
    page = html.unescape(client.get(f"/dashboard/compare?ids={candidates['ada_latest']}&ids={candidates['bob']}").get_data(as_text=True))
    checks = {row[0].split()[0]: row[2:] for row in table_rows(page[page.find("<h2>Checks"):])}
    assert checks["get-note"] == ["passed 32/32", "failed 20/32"]


@pytest.mark.parametrize("count", [1, 5])
def test_compare_refuses_fewer_than_two_or_more_than_four(app, make_staff, candidates, count):
    with app.app_context():
        extra = [add_submission(f"P{i}", f"p{i}@example.com", score=50, verdict="weak").public_id for i in range(3)]
    ids = ([candidates["ada_latest"], candidates["bob"], candidates["ada_first"]] + extra)[:count]
    response = make_staff("recruiter").get("/dashboard/compare?" + "&".join(f"ids={i}" for i in ids))
    assert response.status_code == 422
    assert f"pick between 2 and 4 submissions to compare (you picked {count})" in response.get_data(as_text=True)


def _invitation_ids(client) -> list[str]:
    page = client.get("/dashboard/invitations").get_data(as_text=True)
    return re.findall(r"/dashboard/invitations/(inv_[A-Za-z0-9]+)/revoke", page)


def test_creating_an_invitation_shows_the_link_once(make_staff):
    client = make_staff("recruiter", "rita@example.com")
    form = client.get("/dashboard/invitations/new").get_data(as_text=True)
    default = (datetime.now(UTC).replace(tzinfo=None) + timedelta(days=7)).strftime("%Y-%m-%dT")
    assert f'value="{default}' in form and 'value="3"' in form
    deadline = (datetime.now(UTC).replace(tzinfo=None) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    response = client.post("/dashboard/invitations/new", data={
        "name": "Grace Hopper", "email": "Grace@Example.com", "assessment": "notes-api", "deadline": deadline,
        "attempts": "2", "csrf_token": csrf_of(form)})
    assert response.status_code == 201 and response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert "this link will not be shown again" in page
    link = re.search(r'readonly value="(http://localhost/i/[^"]+)"', page).group(1)
    token = link.rsplit("/", 1)[1]
    listing = client.get("/dashboard/invitations").get_data(as_text=True)
    assert token not in listing
    rows = table_rows(listing)
    assert rows[0][0] == "Grace Hopper grace@example.com" and rows[0][2] == "invited" and rows[0][4] == "0 / 2"
    assert deadline.replace("T", " ") + " UTC" == rows[0][3] and "rita@example.com" in rows[0][5]
    assert token not in client.get("/dashboard/?assessment=notes-api").get_data(as_text=True)


def test_an_invitation_with_a_past_deadline_is_refused(make_staff):
    client = make_staff("recruiter")
    form = client.get("/dashboard/invitations/new").get_data(as_text=True)
    response = client.post("/dashboard/invitations/new", data={
        "name": "Late", "email": "late@example.com", "assessment": "notes-api", "deadline": "2001-01-01T10:00",
        "attempts": "3", "csrf_token": csrf_of(form)})
    assert response.status_code == 422 and "the deadline must be in the future" in response.get_data(as_text=True)
    assert "late@example.com" not in client.get("/dashboard/invitations").get_data(as_text=True)


def test_revoking_an_invitation(make_staff, invite):
    public_id, token = invite()
    client = make_staff("recruiter")
    page = client.get("/dashboard/invitations").get_data(as_text=True)
    assert table_rows(page)[0][2] == "invited"
    response = client.post(f"/dashboard/invitations/{public_id}/revoke", data={"csrf_token": csrf_of(page)})
    assert response.status_code == 302
    page = client.get("/dashboard/invitations").get_data(as_text=True)
    assert table_rows(page)[0][2] == "revoked" and "Revoke" not in table_rows(page)[0][6]
    assert _invitation_ids(client) == []
    rows = _table(client)
    assert rows[0][2] == "revoked" and "ada@example.com" in rows[0][1]
