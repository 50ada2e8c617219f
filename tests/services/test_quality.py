"""The grader's own quality checks: password scan, pytest summary parsing, structure signals."""

import hashlib

from grader.strategies.quality import data_scan_outcome, parse_pytest_summary, scan_for_secrets, structure_signals

SECRET = "Grader-Pw-0123abcd"


def test_plain_text_password_is_found():
    findings = scan_for_secrets({"main:app.db": b"xx" + SECRET.encode() + b"yy"}, [SECRET])
    assert findings == ["a password is stored in plain text in main:app.db"]


def test_unsalted_digests_are_found_in_hex_and_raw():
    for blob in (hashlib.md5(SECRET.encode()).hexdigest().encode(), hashlib.sha256(SECRET.encode()).digest(),
                 hashlib.sha1(SECRET.encode()).hexdigest().upper().encode()):
        assert scan_for_secrets({"db": b"\0" + blob + b"\0"}, [SECRET]) == ["a password is stored as an unsalted MD5/SHA digest in db"]


def test_salted_hashes_pass():
    from werkzeug.security import generate_password_hash

    stored = generate_password_hash(SECRET).encode()
    outcome = data_scan_outcome("passwords-hashed-at-rest", {"db": stored}, [SECRET])
    assert outcome.outcome == "passed"


def test_no_secrets_or_no_files_means_not_run():
    assert data_scan_outcome("c", {"db": b""}, []).outcome == "not_run"
    assert data_scan_outcome("c", {}, [SECRET]).outcome == "not_run"


def test_pytest_summary_is_parsed():
    text = "....F\n=== 1 failed, 4 passed, 2 errors in 0.3s ===\nGRADER_EXIT=1\n"
    assert parse_pytest_summary(text) == {"passed": 4, "failed": 1, "errors": 2}
    assert parse_pytest_summary("no tests ran in 0.01s") == {"passed": 0, "failed": 0, "errors": 0}


def test_structure_signals_read_code_without_running_it(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("from flask import Blueprint\nbp = Blueprint('x', __name__)\n\ndef create_app():\n    pass\n")
    (tmp_path / "conftest.py").write_text("def pytest_runtest_makereport(item, call):\n    pass\n")
    assert structure_signals(tmp_path) == {"app_factory": True, "blueprints": True, "rewrites_test_reports": True}
