"""Fetch exactly one commit of a candidate's repository, defensively.

A submitted URL is attacker-controlled input handed to git on the worker host,
so: only network transports by default (``file://`` and paths only when the
configuration allows), never ``ext::``, no hosts that resolve to loopback,
private or link-local addresses unless allow-listed (SSRF), refs validated and
passed after ``--``, a shallow fetch of that ref only, no submodules, no hooks,
no symlinks checked out, a time cap and size caps on both the pack and the
unpacked tree.
"""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import git

from grader.errors import CloneFailed

_SHA = re.compile(r"^[0-9a-f]{40}$|^[0-9a-f]{64}$")
_REF = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._/+-]{0,254}$")
_SCP_LIKE = re.compile(r"^(?P<user>[A-Za-z0-9._-]+@)?(?P<host>[A-Za-z0-9.-]+):(?!//)(?P<path>.+)$")
NETWORK_SCHEMES = {"https", "http", "git", "ssh"}


@dataclass(frozen=True)
class ClonePolicy:
    """What the configuration lets a submission URL be."""

    allow_local: bool = False  # file:// URLs and local paths (dev and tests only)
    allowed_hosts: tuple[str, ...] = ()  # hosts allowed even when they resolve to private ranges
    timeout_s: float = 120
    max_bytes: int = 100 << 20  # both the fetched pack and the checked-out tree

    @classmethod
    def from_config(cls, config) -> ClonePolicy:
        return cls(
            allow_local=config["GRADER_ALLOW_LOCAL_REPOS"],
            allowed_hosts=tuple(config["GRADER_CLONE_ALLOWED_HOSTS"]),
            timeout_s=config["GRADER_CLONE_TIMEOUT_S"],
            max_bytes=config["GRADER_CLONE_MAX_MB"] << 20,
        )


@dataclass(frozen=True)
class Checkout:
    path: Path  # working tree (no .git inside)
    commit_sha: str  # the exact commit graded
    size_bytes: int  # bytes of the checked-out files


def validate_ref(ref: str) -> str:
    """Accept a branch, tag or commit SHA; refuse anything git could read as an option."""
    ref = ref.strip()
    if ref == "HEAD" or _SHA.match(ref):
        return ref
    bad = (
        not _REF.match(ref)
        or ".." in ref
        or "//" in ref
        or "@{" in ref
        or ref.endswith((".", "/", ".lock"))
        or any(part.startswith(".") for part in ref.split("/"))
    )
    if bad:
        raise CloneFailed(f"ref {ref!r} is not a valid branch, tag or commit SHA")
    return ref


def classify_source(source: str, policy: ClonePolicy) -> tuple[str, str]:
    """Return ``(kind, url)`` where kind is ``network``, ``file`` or ``directory``; refuse the rest."""
    source = source.strip()
    if not source:
        raise CloneFailed("repository URL is empty")
    if "::" in source.split("/", 1)[0] or source.startswith("ext:"):
        raise CloneFailed("remote-helper URLs (such as ext::) are never allowed")
    if source.startswith("-"):
        raise CloneFailed("repository URL may not start with '-'")
    if any(ch in source for ch in "\n\r\t\0 "):
        raise CloneFailed("repository URL contains whitespace or control characters")
    parts = urlsplit(source)
    scheme = parts.scheme.lower()
    if scheme in NETWORK_SCHEMES:
        if not parts.hostname:
            raise CloneFailed(f"repository URL {source!r} has no host")
        _check_host(parts.hostname, policy)
        return "network", source
    if scheme == "file" or (not scheme and (source.startswith(("/", "./", "../")) or Path(source).exists())):
        if not policy.allow_local:
            raise CloneFailed("local repositories (file:// or paths) are not allowed by this grader's configuration")
        path = Path(parts.path if scheme == "file" else source).resolve()
        if not path.is_dir():
            raise CloneFailed(f"local repository {path} does not exist")
        if (path / ".git").exists() or (path / "HEAD").is_file():
            return "file", path.as_uri()
        return "directory", str(path)
    match = _SCP_LIKE.match(source)
    if match and not scheme:
        _check_host(match.group("host"), policy)
        return "network", source
    raise CloneFailed(f"unsupported repository URL {source!r}: use https://, http://, git:// or ssh://")


def _check_host(host: str, policy: ClonePolicy) -> None:
    """Refuse hosts that point inside our own network unless explicitly allowed (SSRF)."""
    if host.lower() in {h.lower() for h in policy.allowed_hosts}:
        return
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror as exc:
        raise CloneFailed(f"host {host!r} does not resolve") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if (
            address.is_loopback
            or address.is_private
            or address.is_link_local
            or address.is_reserved
            or address.is_multicast
            or address.is_unspecified
        ):
            raise CloneFailed(f"host {host!r} resolves to a non-public address ({address}); refused")


def _git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") or k == "GIT_SSL_CAINFO"}
    env.update(
        GIT_TERMINAL_PROMPT="0",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_PROTOCOL_FROM_USER="0",
        GIT_SSH_COMMAND="ssh -o BatchMode=yes -o StrictHostKeyChecking=accept-new",
    )
    return env


def _git_options(allow_file: bool) -> list[str]:
    opts = {
        "protocol.allow": "never",
        "protocol.https.allow": "always",
        "protocol.http.allow": "always",
        "protocol.git.allow": "always",
        "protocol.ssh.allow": "always",
        "protocol.ext.allow": "never",
        "protocol.file.allow": "always" if allow_file else "never",
        "core.hooksPath": os.devnull,
        "core.symlinks": "false",
        "core.fsmonitor": "false",
        "submodule.recurse": "false",
        "fetch.recurseSubmodules": "false",
        "advice.detachedHead": "false",
        "init.defaultBranch": "main",
    }
    args: list[str] = []
    for key, value in opts.items():
        args += ["-c", f"{key}={value}"]
    return args


def clone(source: str, ref: str, dest: Path, policy: ClonePolicy) -> Checkout:
    """Fetch ``ref`` of ``source`` into ``dest`` (created) and check it out without ``.git``."""
    ref = validate_ref(ref or "HEAD")
    kind, url = classify_source(source, policy)
    if kind == "directory":
        return _copy_directory(Path(url), dest, policy)
    workdir = dest.parent / (dest.name + ".git-work")
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    env = _git_env()
    opts = _git_options(kind == "file")

    def run(*args: str) -> str:
        try:
            proc = subprocess.run(
                ["git", *opts, *args], cwd=workdir, env=env, capture_output=True, text=True,
                timeout=policy.timeout_s, stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired as exc:
            raise CloneFailed(f"git {args[0]} took longer than {policy.timeout_s:.0f} s") from exc
        if proc.returncode != 0:
            raise CloneFailed(_explain(args[0], proc.stderr, ref))
        return proc.stdout

    try:
        run("init", "-q", ".")
        run("config", "remote.origin.url", url)
        run("fetch", "--depth", "1", "--no-tags", "--no-recurse-submodules", "--quiet", "origin", "--", ref)
        repo = git.Repo(workdir)
        sha = repo.git.rev_parse("FETCH_HEAD^{commit}")
        pack = sum(p.stat().st_size for p in (workdir / ".git" / "objects").rglob("*") if p.is_file())
        if pack > policy.max_bytes:
            raise CloneFailed(f"repository is {pack >> 20} MiB packed, over the {policy.max_bytes >> 20} MiB limit")
        tree_bytes = 0
        for line in repo.git.ls_tree("-r", "-l", "--full-tree", sha).splitlines():
            size = line.split()[3]
            tree_bytes += int(size) if size.isdigit() else 0
        if tree_bytes > policy.max_bytes:
            raise CloneFailed(f"repository unpacks to {tree_bytes >> 20} MiB, over the {policy.max_bytes >> 20} MiB limit")
        run("checkout", "-q", "--detach", sha)
        shutil.rmtree(workdir / ".git")
        shutil.rmtree(dest, ignore_errors=True)
        workdir.rename(dest)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return Checkout(path=dest, commit_sha=sha, size_bytes=tree_bytes)


def _copy_directory(source: Path, dest: Path, policy: ClonePolicy) -> Checkout:
    """Dev convenience: grade a plain folder; links are copied as links, never followed."""
    import hashlib

    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(source, dest, symlinks=True, ignore=shutil.ignore_patterns(".git", "__pycache__", ".venv"))
    digest = hashlib.sha256()
    total = 0
    for path in sorted(dest.rglob("*")):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            total += len(data)
            digest.update(path.relative_to(dest).as_posix().encode() + b"\0" + data)
    if total > policy.max_bytes:
        raise CloneFailed(f"folder holds {total >> 20} MiB, over the {policy.max_bytes >> 20} MiB limit")
    return Checkout(path=dest, commit_sha="dir-" + digest.hexdigest()[:36], size_bytes=total)


def _explain(step: str, stderr: str, ref: str) -> str:
    text = stderr.strip().splitlines()
    last = next((line for line in reversed(text) if line.strip()), "git failed")
    lowered = stderr.lower()
    if step == "fetch" and ("couldn't find remote ref" in lowered or "not our ref" in lowered or "unadvertised" in lowered):
        return f"ref {ref!r} was not found in the repository"
    if "could not resolve host" in lowered or "unable to look up" in lowered:
        return "the repository host could not be resolved"
    if any(s in lowered for s in ("repository not found", "no such repository", "does not appear to be a git repository", "not found")):
        return "the repository was not found (check the URL and that it is public)"
    if "authentication" in lowered or "permission denied" in lowered or "terminal prompts disabled" in lowered:
        return "the repository needs credentials; submit a public URL"
    return f"git {step} failed: {last[:300]}"
