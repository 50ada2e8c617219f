"""requirements.txt: exact pins only, with clear errors for everything else."""

import pytest

from grader.errors import InstallFailed
from grader.services.install import cache_key, parse_requirements


def test_exact_pins_comments_and_extras_are_accepted():
    reqs = parse_requirements("# deps\nFlask==3.1.3\n\nuvicorn[standard]==0.30.0  # server\nSQLAlchemy == 2.0.44\n")
    assert reqs.lines == ("flask==3.1.3", "sqlalchemy==2.0.44", "uvicorn[standard]==0.30.0")


@pytest.mark.parametrize(
    "line",
    [
        "flask>=3",
        "flask",
        "-e .",
        "--index-url https://evil.example/simple",
        "git+https://github.com/pallets/flask",
        "https://example.com/pkg.whl",
        "flask==3.1.3; python_version>'3'",
        "flask==3.1.3 --hash=sha256:abc",
        "-r other.txt",
        "./local_pkg",
    ],
)
def test_anything_else_is_an_install_failure_naming_the_line(line):
    with pytest.raises(InstallFailed, match="line 2 is not allowed"):
        parse_requirements(f"flask==3.1.3\n{line}\n")


def test_cache_key_ignores_order_case_and_comments():
    a = parse_requirements("Flask==3.1.3\nrequests==2.32.3\n")
    b = parse_requirements("# same\nrequests==2.32.3\nflask==3.1.3\n")
    assert cache_key(a, "img") == cache_key(b, "img")
    assert cache_key(a, "img") != cache_key(a, "other-img")
