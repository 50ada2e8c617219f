"""Install a submission's pinned requirements into a cached, read-only volume.

Two sandboxed steps, neither running candidate code:
1. *fetch*: ``pip download --only-binary=:all:`` (wheels only, so no setup.py
   ever runs) in a container that may reach the package index and nothing of
   ours;
2. *install*: ``pip install --no-index`` from those wheels into a volume, with no
   network at all.
The volume is named by the hash of the normalised requirements and the runner
image, so a resubmission with the same dependencies skips both steps.

Whose failure: pip says "Could not find a version that satisfies the requirement"
both when a pin does not exist and when it never reached the index.  Its retry
warnings tell the two apart (``index_fault``: TLS, DNS, refused or timed-out
connections, proxies, 5xx), and where pip printed none (an index answering 5xx is
silent at ``-q``) the index is asked about the project itself before the candidate
is blamed.  Ours raise ``InfrastructureFailure``; the grading is retried.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from grader.errors import InfrastructureFailure, InstallFailed, SandboxFailure
from grader.services import preflight
from sandbox import Limits, Mount, RunScope, Sandbox, SandboxJob, SandboxResult, Verdict
from sandbox.errors import EngineError, SandboxError
from sandbox.layout import DEPS_MOUNT, SANDBOX_UID

_LINE = re.compile(
    r"^(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)"
    r"(?P<extras>\[[A-Za-z0-9._-]+(?:\s*,\s*[A-Za-z0-9._-]+)*\])?"
    r"\s*==\s*(?P<version>[A-Za-z0-9][A-Za-z0-9.+!_-]*)$"
)
COMPLETE_MARKER = ".grader-complete"

# pip's words when it never got an answer from the index: (pattern, what an operator reads). Exception
# names match case-sensitively: a requirement line is lower-cased first, so "sslerror==1.0" cannot pose as one.
_INDEX_FAULTS = (
    (re.compile(r"SSLError|SSLCertVerificationError|CERTIFICATE_VERIFY_FAILED|certificate verify failed|"
                r"WRONG_VERSION_NUMBER|\[SSL|File \"[^\"]*/ssl\.py\""),  # the last: pip crashing in the handshake
     "the package index could not be reached over TLS: check GRADER_PIP_CERT"),
    (re.compile(r"NameResolutionError|Temporary failure in name resolution|Name or service not known|"
                r"Failed to resolve|No address associated with hostname"),
     "the package index's host name could not be resolved (DNS)"),
    (re.compile(r"ProxyError|Tunnel connection failed|Cannot connect to proxy"),
     "the proxy to the package index failed"),
    (re.compile(r"ReadTimeoutError|ConnectTimeoutError|Read timed out|Connection timed out"),
     "the package index did not answer in time"),
    (re.compile(r"NewConnectionError|Connection refused|Network is unreachable|No route to host|"
                r"ConnectionResetError|Connection reset by peer|RemoteDisconnected|Connection aborted|"
                r"IncompleteRead|ProtocolError|Max retries exceeded|ConnectionError"),
     "the package index could not be reached"),
    (re.compile(r"too many 5\d\d error responses|\b5\d\d Server Error|HTTP error 5\d\d|"
                r"\b50[234] (Bad Gateway|Service Unavailable|Gateway Time-?out)"),
     "the package index answered with a server error (HTTP 5xx)"),
)
# Lines that quote the candidate's requirements rather than pip's own trouble.
_QUOTES_REQUIREMENT = re.compile(r"satisfies the requirement|No matching distribution found|^\s*(Collecting|Downloading|Saved|File was)\b")
_NOT_FOUND = re.compile(r"Could not find a version that satisfies the requirement (?P<req>\S+) \(from versions: none\)")


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
        except EngineError as exc:
            with contextlib.suppress(SandboxError):  # the engine may be gone: a half-made cache is redone next time
                self.sandbox.remove_volume(name)
            raise InfrastructureFailure(f"the Docker engine failed while installing dependencies: {exc}") from exc
        except SandboxError as exc:
            self.sandbox.remove_volume(name)
            raise SandboxFailure(f"sandbox failed while installing dependencies: {exc}") from exc
        except (InstallFailed, InfrastructureFailure):
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

    def _check(self, result: SandboxResult, what: str) -> None:
        if result.ok:
            return
        output = (result.stderr.strip() or result.stdout.strip())
        log = _tail(result.stdout + result.stderr)
        fault = index_fault(result.stdout + "\n" + result.stderr, self.pip_cert) or self._silent_index_fault(output)
        if fault:
            raise InfrastructureFailure(f"{what} failed on our side: {fault}")
        if result.verdict is Verdict.FAILED and result.exit_code == 137:  # no candidate code runs here to be killed
            raise InfrastructureFailure(f"{what} was killed from outside the sandbox (SIGKILL, not its memory or time limit)")
        if result.verdict is Verdict.TIMEOUT:
            raise InstallFailed(f"{what} took longer than the install time limit", log)
        if result.verdict is Verdict.OOM:
            raise InstallFailed(f"{what} ran out of memory", log)
        lines = [ln for ln in output.splitlines() if ln.strip()]
        detail = next((ln for ln in lines if "ERROR" in ln or "limit" in ln), lines[-1] if lines else "no output")
        raise InstallFailed(f"{what} failed: {detail.strip()[:400]}", log)

    def _silent_index_fault(self, output: str) -> str | None:
        """Ask the index about a project pip found no version of: a 404 is the candidate's, a 5xx or no answer ours."""
        match = _NOT_FOUND.search(output)
        if not match:
            return None
        project = re.split(r"[\[=<>!~;]", match.group("req"), maxsplit=1)[0]
        return preflight.index_problem(self.index_url, self.pip_cert, project, missing_is_fine=True)


def index_fault(pip_output: str, pip_cert: str | None = None) -> str | None:
    """Why pip never got an answer from the package index, from its own output; None when it did.

    A network or TLS failure is ours even when pip goes on to say "Could not find a
    version": it found none because it could not look.
    """
    own = "\n".join(ln for ln in pip_output.splitlines() if not _QUOTES_REQUIREMENT.search(ln))
    for pattern, meaning in _INDEX_FAULTS:
        match = pattern.search(own)
        if match:
            line = next((ln for ln in own.splitlines() if match.group(0) in ln), match.group(0))
            if "GRADER_PIP_CERT" in meaning:
                meaning += f" ({f'GRADER_PIP_CERT={pip_cert}' if pip_cert else 'GRADER_PIP_CERT is not set'})"
            return f"{meaning}; pip said: {line.strip()[:300]}"
    return None


_locks_guard = threading.Lock()
_locks: dict[str, threading.Lock] = {}


def _build_lock(volume: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(volume, threading.Lock())


def _tail(text: str, cap: int = 8000) -> str:
    return text[-cap:]
