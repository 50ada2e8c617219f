"""Reading the account a brief asks the candidate to write, from a checkout the candidate controls."""

import os

import pytest
from pydantic import ValidationError

from grader.services.candidate_account import read
from grader.specs import CandidateAccountSpec

SPEC = CandidateAccountSpec(path="docs/PERFORMANCE.md", max_bytes=1024)


@pytest.fixture
def checkout(tmp_path):
    (tmp_path / "docs").mkdir()
    return tmp_path


def test_a_written_account_is_kept_as_text(checkout):
    (checkout / "docs" / "PERFORMANCE.md").write_text("# Before: 900 ms\nAfter: 30 ms ✓\n", encoding="utf-8")
    assert read(SPEC, checkout) == {"path": "docs/PERFORMANCE.md", "present": True,
                                    "text": "# Before: 900 ms\nAfter: 30 ms ✓\n", "truncated": False, "problem": None}


def test_a_missing_account_is_not_present_and_no_problem(checkout):
    assert read(SPEC, checkout) == {"path": "docs/PERFORMANCE.md", "present": False, "text": "", "truncated": False,
                                    "problem": None}


def test_a_long_account_keeps_its_first_bytes(checkout):
    (checkout / "docs" / "PERFORMANCE.md").write_bytes(b"a" * 5000)
    account = read(SPEC, checkout)
    assert account["present"] and account["truncated"] and account["text"] == "a" * 1024


def test_a_link_to_the_workers_files_is_not_followed(checkout):
    (checkout / "docs" / "PERFORMANCE.md").symlink_to("/etc/passwd")
    account = read(SPEC, checkout)
    assert not account["present"] and account["text"] == "" and "is a link" in account["problem"]


def test_a_linked_folder_is_not_followed(checkout, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside")
    (outside / "PERFORMANCE.md").write_text("the worker's secret")
    os.rmdir(checkout / "docs")
    (checkout / "docs").symlink_to(outside, target_is_directory=True)
    account = read(SPEC, checkout)
    assert not account["present"] and "secret" not in account["text"] and "docs is a link" in account["problem"]


def test_a_folder_in_its_place_is_not_read(checkout):
    (checkout / "docs" / "PERFORMANCE.md").mkdir()
    account = read(SPEC, checkout)
    assert not account["present"] and "not a regular file" in account["problem"]


def test_a_binary_file_is_not_shown(checkout):
    (checkout / "docs" / "PERFORMANCE.md").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0")
    account = read(SPEC, checkout)
    assert not account["present"] and "not text" in account["problem"]


@pytest.mark.parametrize("path", ["../PERFORMANCE.md", "docs/../../x.md", "/etc/passwd", "./PERFORMANCE.md", ""])
def test_an_assessment_cannot_name_a_file_outside_the_repository(path):
    with pytest.raises(ValidationError):
        CandidateAccountSpec(path=path)
