"""Install a submission's pinned requirements into a cached, read-only volume.

Two sandboxed steps, neither running candidate code:
1. *fetch*: ``pip download --only-binary=:all:`` (wheels only, so no setup.py
   ever runs) in a container that may reach the package index and nothing of
   ours;
2. *install*: ``pip install --no-index`` from those wheels into a volume, with no
   network at all.
The volume is named by the hash of the normalised requirements and the runner
image, so a resubmission with the same dependencies skips both steps.
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from grader.errors import InstallFailed, SandboxFailure
from sandbox import Limits, Mount, RunScope, Sandbox, SandboxJob, SandboxResult, Verdict
from sandbox.errors import SandboxError
from sandbox.layout import DEPS_MOUNT, SANDBOX_UID

_LINE = re.compile(
    r"^(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)"
    r"(?P<extras>\[[A-Za-z0-9._-]+(?:\s*,\s*[A-Za-z0-9._-]+)*\])?"
    r"\s*==\s*(?P<version>[A-Za-z0-9][A-Za-z0-9.+!_-]*)$"
)
COMPLETE_MARKER = ".grader-complete"


@dataclass(frozen=True)
class Requirements:
    lines: tuple[str, ...]  # normalised "name[extras]==version", sorted

    @property
    def text(self) -> str:
        return "".join(line + "\n" for line in self.lines)


@dataclass(frozen=True)
class InstalledDeps:
    volume: str  # read-only volume to mount at DEPS_MOUNT
    cache_hit: bool  # True when no download or install ran
    log: str  # what pip said (capped)


def parse_requirements(text: str) -> Requirements:
    """Accept only ``name==version`` / ``name[extra]==version`` lines, comments and blanks."""
    lines: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        match = _LINE.match(line)
        if not match:
            raise InstallFailed(
                f"requirements.txt line {number} is not allowed: {raw.strip()[:120]!r}. "
                "Only exact pins like 'flask==3.1.0' or 'name[extra]==1.2' are accepted "
                "(no URLs, -e, --index-url, VCS links, markers or hashes)."
            )
        name = re.sub(r"[-_.]+", "-", match.group("name")).lower()
        extras = (match.group("extras") or "").replace(" ", "").lower()
        lines.append(f"{name}{extras}=={match.group('version')}")
    return Requirements(tuple(sorted(set(lines))))


def read_requirements(checkout: Path) -> Requirements:
    path = checkout / "requirements.txt"
    if path.is_symlink():
        raise InstallFailed("requirements.txt is a symbolic link; it must be a regular file")
    if not path.is_file():
        raise InstallFailed("requirements.txt is missing at the repository root")
    if path.stat().st_size > 64 * 1024:
        raise InstallFailed("requirements.txt is larger than 64 KiB")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InstallFailed("requirements.txt is not UTF-8 text") from exc
    return parse_requirements(text)


def cache_key(requirements: Requirements, runner_image: str) -> str:
    return hashlib.sha256(f"{runner_image}\n{requirements.text}".encode()).hexdigest()[:24]


class Installer:
    """Turns requirements into a dependency volume, reusing earlier installs."""

    def __init__(
        self,
        sandbox: Sandbox,
        runner_image: str,
        *,
        limits: Limits,
        max_download_mb: int,
        pip_cert: str | None = None,
        index_url: str = "",
    ) -> None:
        self.sandbox = sandbox
        self.image = runner_image
        self.limits = limits
        self.max_download_mb = max_download_mb
        self.pip_cert = pip_cert
        self.index_url = index_url

    def volume_name(self, requirements: Requirements) -> str:
        return f"grader-deps-{cache_key(requirements, self.image)}"

    def is_cached(self, requirements: Requirements) -> bool:
        name = self.volume_name(requirements)
        if not self.sandbox.volume_exists(name):
            return False
        try:
            self.sandbox.read_from_volume(name, COMPLETE_MARKER, image=self.image, max_bytes=100)
            return True
        except SandboxError:
            return False

    def install(self, requirements: Requirements, scope: RunScope) -> InstalledDeps:
        """The dependency volume for ``requirements``; its scratch volumes belong to ``scope``.

        One build per cache volume at a time in this process: a run installs the
        candidate's and the starter's dependencies side by side, often the same ones.
        """
        with _build_lock(self.volume_name(requirements)):
            return self._install(requirements, scope)

    def _install(self, requirements: Requirements, scope: RunScope) -> InstalledDeps:
        name = self.volume_name(requirements)
        if self.is_cached(requirements):
            return InstalledDeps(volume=name, cache_hit=True, log="dependency cache hit")
        self.sandbox.remove_volume(name)  # a half-made cache from a crash
        files = {"requirements.txt": requirements.text.encode()}
        if self.pip_cert:
            files["ca.crt"] = Path(self.pip_cert).read_bytes()
        try:
            inputs = scope.volume("req", image=self.image, files=files)
            wheels = scope.volume("wheels", image=self.image, writable=True)
            # The cache outlives the run: it is named by content and labelled as a cache, not a run's.
            self.sandbox.create_volume(name, image=self.image, owner=SANDBOX_UID, labels={"grader.cache": "deps"})
            fetch = scope.run(self._fetch_job(inputs, wheels, scope))
            self._check(fetch, "downloading wheels")
            installed = scope.run(self._install_job(inputs, wheels, name, scope))
            self._check(installed, "installing wheels")
        except SandboxError as exc:
            self.sandbox.remove_volume(name)
            raise SandboxFailure(f"sandbox failed while installing dependencies: {exc}") from exc
        except InstallFailed:
            self.sandbox.remove_volume(name)
            raise
        return InstalledDeps(volume=name, cache_hit=False, log=_tail(fetch.stdout + fetch.stderr + installed.stdout + installed.stderr))

    def _fetch_job(self, inputs: str, wheels: str, scope: RunScope) -> SandboxJob:
        env = {"PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_CACHE_DIR": "1", "PIP_DEFAULT_TIMEOUT": "60"}
        if self.pip_cert:
            env["PIP_CERT"] = "/in/ca.crt"
        if self.index_url:
            env["PIP_INDEX_URL"] = self.index_url
        cap = self.max_download_mb
        script = (
            "pip download --only-binary=:all: --no-input --progress-bar off -q -d /wheels -r /in/requirements.txt"
            f' && total=$(du -sm /wheels | cut -f1) && echo "downloaded ${{total}} MiB"'
            f' && if [ "$total" -gt {cap} ]; then echo "dependencies are $total MiB, over the {cap} MiB limit" >&2; exit 3; fi'
        )
        return SandboxJob(
            image=self.image,
            command=("sh", "-c", script),
            limits=self.limits,
            env=tuple(env.items()),
            mounts=(Mount(inputs, "/in"), Mount(wheels, "/wheels", read_only=False)),
            egress=True,
            labels=scope.job_labels("fetch"),
        )

    def _install_job(self, inputs: str, wheels: str, deps: str, scope: RunScope) -> SandboxJob:
        script = (
            "pip install --no-index --find-links /wheels --no-input --progress-bar off -q "
            f"--target {DEPS_MOUNT}/site -r /in/requirements.txt && touch {DEPS_MOUNT}/{COMPLETE_MARKER}"
        )
        return SandboxJob(
            image=self.image,
            command=("sh", "-c", script),
            limits=self.limits,
            env=(("PIP_DISABLE_PIP_VERSION_CHECK", "1"), ("PIP_NO_CACHE_DIR", "1")),
            mounts=(Mount(inputs, "/in"), Mount(wheels, "/wheels"), Mount(deps, DEPS_MOUNT, read_only=False)),
            labels=scope.job_labels("install"),
        )

    @staticmethod
    def _check(result: SandboxResult, what: str) -> None:
        if result.ok:
            return
        output = (result.stderr.strip() or result.stdout.strip())
        log = _tail(result.stdout + result.stderr)
        if result.verdict is Verdict.TIMEOUT:
            raise InstallFailed(f"{what} took longer than the install time limit", log)
        if result.verdict is Verdict.OOM:
            raise InstallFailed(f"{what} ran out of memory", log)
        lines = [ln for ln in output.splitlines() if ln.strip()]
        detail = next((ln for ln in lines if "ERROR" in ln or "limit" in ln), lines[-1] if lines else "no output")
        raise InstallFailed(f"{what} failed: {detail.strip()[:400]}", log)


_locks_guard = threading.Lock()
_locks: dict[str, threading.Lock] = {}


def _build_lock(volume: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(volume, threading.Lock())


def _tail(text: str, cap: int = 8000) -> str:
    return text[-cap:]
