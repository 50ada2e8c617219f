"""Candidate-controlled text is made inert: no terminal control sequences, no credentials in URLs."""

import pytest

from grader.services.untrusted import inert, without_credentials


def test_terminal_escapes_and_control_characters_are_removed():
    text = "\x1b[31mred\x1b[0m \x1b]0;title\x07ok\x00\x08 done\r\nnext\ttab"
    assert inert(text) == "red ok done\nnext\ttab"


def test_html_is_left_for_the_template_to_escape():
    assert inert("<script>alert(1)</script>") == "<script>alert(1)</script>"


@pytest.mark.parametrize(
    "url,expected",
    [
        ("https://user:token@github.com/a/b.git", "https://github.com/a/b.git"),
        ("https://ghp_secret@github.com/a/b.git", "https://github.com/a/b.git"),
        ("https://github.com/a/b.git", "https://github.com/a/b.git"),
        ("git@github.com:a/b.git", "git@github.com:a/b.git"),
    ],
)
def test_credentials_are_dropped_from_repository_urls(url, expected):
    assert without_credentials(url) == expected


def test_a_submitted_url_is_stored_without_its_credentials(app, git_server, tmp_path):
    from grader.services.submissions import NewSubmission, submit

    (tmp_path / "app.py").write_text("x = 1\n")
    url = git_server.publish(tmp_path, "creds")
    with_creds = url.replace("git://", "git://user:secret@")
    with app.app_context():
        receipt = submit(NewSubmission("notes-api", "Ada", "ada@example.com", with_creds, "main"), enqueue=False)
        assert receipt.submission.repo_url == url
