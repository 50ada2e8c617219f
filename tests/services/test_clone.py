"""Cloning: exactly one commit, and nothing a hostile URL or ref could sneak past."""

from pathlib import Path

import pytest

from grader.errors import CloneFailed
from grader.services.clone import ClonePolicy, clone, validate_ref
from tests.factories import submission_dir

ALLOW_LOOPBACK = ClonePolicy(allowed_hosts=("127.0.0.1",))


@pytest.fixture(scope="module")
def repo(git_server):
    return git_server.publish(
        submission_dir("notes-api", "good"),
        "clone-fixture",
        extra_commits={"feature/x": {"NOTE.txt": "on a branch\n"}},
    )


def test_clones_head_and_records_the_commit(repo, git_server, tmp_path):
    checkout = clone(repo, "HEAD", tmp_path / "co", ALLOW_LOOPBACK)
    assert checkout.commit_sha == git_server.head("clone-fixture")
    assert (checkout.path / "app.py").is_file()
    assert not (checkout.path / ".git").exists()


def test_clones_a_branch(repo, git_server, tmp_path):
    checkout = clone(repo, "feature/x", tmp_path / "co", ALLOW_LOOPBACK)
    assert checkout.commit_sha == git_server.head("clone-fixture", "feature/x")
    assert (checkout.path / "NOTE.txt").read_text() == "on a branch\n"


def test_clones_a_commit_sha(repo, git_server, tmp_path):
    sha = git_server.head("clone-fixture", "main")
    checkout = clone(repo, sha, tmp_path / "co", ALLOW_LOOPBACK)
    assert checkout.commit_sha == sha


def test_missing_ref_is_a_clear_failure(repo, tmp_path):
    with pytest.raises(CloneFailed, match="not found"):
        clone(repo, "no-such-branch", tmp_path / "co", ALLOW_LOOPBACK)


def test_missing_repository_is_a_clear_failure(git_server, tmp_path):
    with pytest.raises(CloneFailed, match="not found"):
        clone(f"git://127.0.0.1:{git_server.port}/nothing.git", "HEAD", tmp_path / "co", ALLOW_LOOPBACK)


def test_option_like_ref_is_refused_and_runs_nothing(repo, tmp_path):
    marker = Path("/tmp/grader-pwned-by-ref")
    marker.unlink(missing_ok=True)
    with pytest.raises(CloneFailed, match="not a valid"):
        clone(repo, f"--upload-pack=touch {marker}", tmp_path / "co", ALLOW_LOOPBACK)
    assert not marker.exists()


@pytest.mark.parametrize("ref", ["-x", "a..b", "a b", "refs/heads/../x", "x.lock", "@{-1}", "a\nb", ".hidden"])
def test_malformed_refs_are_refused(ref):
    with pytest.raises(CloneFailed):
        validate_ref(ref)


def test_loopback_host_is_refused_by_default(repo, tmp_path):
    with pytest.raises(CloneFailed, match="non-public address"):
        clone(repo, "HEAD", tmp_path / "co", ClonePolicy())


@pytest.mark.parametrize("url", ["http://10.0.0.5/x.git", "https://192.168.1.1/x.git", "http://169.254.169.254/latest"])
def test_private_and_link_local_hosts_are_refused(url, tmp_path):
    with pytest.raises(CloneFailed, match="non-public address"):
        clone(url, "HEAD", tmp_path / "co", ClonePolicy())


def test_file_urls_are_refused_by_default(tmp_path):
    with pytest.raises(CloneFailed, match="not allowed"):
        clone(f"file://{tmp_path}", "HEAD", tmp_path / "co", ClonePolicy())


def test_local_paths_are_refused_by_default(tmp_path):
    with pytest.raises(CloneFailed, match="not allowed"):
        clone(str(submission_dir("notes-api", "good")), "HEAD", tmp_path / "co", ClonePolicy())


@pytest.mark.parametrize("url", ["ext::sh -c touch% /tmp/pwned", "ext::sh", "fd::17"])
def test_remote_helpers_are_never_allowed(url, tmp_path):
    with pytest.raises(CloneFailed):
        clone(url, "HEAD", tmp_path / "co", ClonePolicy(allow_local=True))


def test_unsupported_schemes_are_refused(tmp_path):
    with pytest.raises(CloneFailed, match="unsupported"):
        clone("ftp://example.com/x.git", "HEAD", tmp_path / "co", ClonePolicy())


def test_size_cap_applies(repo, tmp_path):
    with pytest.raises(CloneFailed, match="limit"):
        clone(repo, "HEAD", tmp_path / "co", ClonePolicy(allowed_hosts=("127.0.0.1",), max_bytes=100))


def test_hooks_and_symlinks_are_not_honoured(git_server, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "requirements.txt").write_text("")
    (src / "leak").symlink_to("/etc/hostname")
    url = git_server.publish(src, "symlinked")
    checkout = clone(url, "HEAD", tmp_path / "co", ALLOW_LOOPBACK)
    leak = checkout.path / "leak"
    assert not leak.is_symlink()
    assert leak.read_text() == "/etc/hostname"  # the link target as text, not the host file


def test_local_directory_allowed_in_development(tmp_path):
    checkout = clone(str(submission_dir("notes-api", "good")), "HEAD", tmp_path / "co", ClonePolicy(allow_local=True))
    assert checkout.commit_sha.startswith("dir-")
    assert (checkout.path / "app.py").is_file()
