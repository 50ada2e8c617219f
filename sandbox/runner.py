"""Run jobs in hardened Docker containers: the only module that talks to Docker.

Every container gets, unless a job says otherwise: no network, all capabilities
dropped, no-new-privileges, a read-only root with small tmpfs mounts, a pids
limit, memory equal to memory+swap, a CPU quota, nofile/fsize ulimits, a non-root
uid and a wall-clock timeout.  Inputs arrive through named volumes (never bind
mounts, so the worker may itself run in a container holding the Docker socket);
one result file leaves through ``get_archive``, size-capped, regular files only.
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import socket
import tarfile
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from pathlib import Path

import docker
import docker.errors
import requests.exceptions
from docker.models.containers import Container
from docker.types import LogConfig, Ulimit

from sandbox.capture import CappedStream
from sandbox.errors import EngineError, ResultFileError, SandboxError
from sandbox.host import container_cpu
from sandbox.job import SandboxJob, SandboxResult, Verdict
from sandbox.scope import LABEL_MANAGED as LABEL
from sandbox.scope import LABEL_RUN, LABEL_WORKER

log = logging.getLogger(__name__)
_GO_MODE_SYMLINK = 1 << 27
_GO_MODE_DIR = 1 << 31
_LOADER_CMD = ["/bin/true"]
# A job's wait that ends this much before its time limit ended because the engine's stream broke, not the clock.
_EARLY_S = 1.0
_DRAIN_S = 20.0  # how long log readers may catch up after the process ended
_TAIL_ENTRIES = 64  # log entries (each at most 16 KiB) asked for when a reader fell behind


def engine_fault(exc: BaseException) -> bool:
    """True when ``exc`` means the Docker engine failed, not the request: unreachable, cut off, a 5xx.

    A 4xx (a container already removed, an image not built) is an answer from a
    working engine, and stays the caller's to judge.
    """
    if isinstance(exc, EngineError | requests.exceptions.RequestException):
        return True
    if isinstance(exc, docker.errors.APIError):
        return exc.is_server_error()
    return isinstance(exc, docker.errors.DockerException)


@contextlib.contextmanager
def _engine_faults(what: str) -> Iterator[None]:
    """Raise an engine failure while doing ``what`` as ``EngineError``: the grader retries those."""
    try:
        yield
    except EngineError:
        raise
    except Exception as exc:
        if engine_fault(exc):
            raise EngineError(f"the Docker engine failed while {what}: {type(exc).__name__}: {exc}") from exc
        raise


def _guarded(method):
    """``_engine_faults`` around a whole method."""
    what = method.__name__.strip("_").replace("_", " ")

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        with _engine_faults(what):
            return method(*args, **kwargs)

    return wrapper


class DockerSandbox:
    """The sandbox interface: run a job, start a service, move files through volumes."""

    def __init__(
        self,
        client: docker.DockerClient | None = None,
        *,
        worker: str | None = None,
        runtime: str | None = None,
    ) -> None:
        try:
            self.client = client or docker.from_env(timeout=120)
            self.client.ping()
        except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
            raise EngineError(f"Docker engine unreachable: {exc}") from exc
        self.worker = worker or socket.gethostname()
        self.runtime = runtime

    def _labels(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """Every object made here carries these: the cleanup of a restarted worker finds them."""
        return {LABEL: "1", LABEL_WORKER: self.worker, **(extra or {})}

    @_guarded
    def ping(self) -> None:
        """Ask the engine whether it answers; ``EngineError`` when it does not."""
        if not self.client.ping():
            raise EngineError("the Docker engine did not answer a ping")

    # ------------------------------------------------------------------ jobs
    @_guarded
    def run(self, job: SandboxJob) -> SandboxResult:
        """Run ``job`` to completion (or its timeout) and remove its container."""
        container = self._create(job)
        try:
            return self._run_created(container, job)
        finally:
            self._remove(container)

    @contextlib.contextmanager
    def service(self, job: SandboxJob) -> Iterator[Service]:
        """Start a long-running container (an app under test) and remove it afterwards."""
        with _engine_faults("starting a service"):
            container = self._create(job)
        try:
            with _engine_faults("starting a service"):
                container.start()
            yield Service(container, job)
        finally:
            with _engine_faults("removing a service"):
                self._remove(container)

    def _create(self, job: SandboxJob) -> Container:
        if job.network is None and job.network_alias:
            raise SandboxError("network_alias needs a network")
        limits = job.limits
        labels = self._labels(dict(job.labels))
        tmpfs = {"/tmp": f"rw,nosuid,nodev,size={limits.tmpfs_mb}m,mode=1777"}
        for path in job.writable_paths:
            tmpfs[path] = f"rw,nosuid,nodev,size={limits.tmpfs_mb}m,mode=1777"
        if job.egress:
            network_mode = "bridge"
        elif job.network is None:
            network_mode = "none"
        else:
            network_mode = job.network
        runtime = job.runtime or (self.runtime if network_mode == "none" else None)
        kwargs = dict(
            image=job.image,
            command=list(job.command),
            environment={"HOME": "/tmp", "PYTHONDONTWRITEBYTECODE": "1", **job.env_dict()},
            working_dir=job.workdir,
            user=job.user,
            labels=labels,
            detach=True,
            network_mode=network_mode,
            read_only=True,
            tmpfs=tmpfs,
            cap_drop=["ALL"],
            security_opt=["no-new-privileges"],
            pids_limit=limits.pids,
            mem_limit=f"{limits.memory_mb}m",
            memswap_limit=f"{limits.memory_mb}m",
            nano_cpus=int(limits.cpus * 1e9),
            ulimits=[
                Ulimit(name="nofile", soft=limits.nofile, hard=limits.nofile),
                Ulimit(name="fsize", soft=limits.fsize_mb << 20, hard=limits.fsize_mb << 20),
            ],
            # The daemon keeps little; CappedStream keeps head and tail while streaming.
            log_config=LogConfig(type="json-file", config={"max-size": "8m", "max-file": "1"}),
            volumes={m.volume: {"bind": m.target, "mode": "ro" if m.read_only else "rw"} for m in job.mounts},
        )
        if runtime:
            kwargs["runtime"] = runtime
        try:
            if network_mode not in ("none", "bridge"):
                # Attach at create time so the alias resolves before the process starts.
                del kwargs["network_mode"]
                kwargs["network"] = network_mode
                aliases = [job.network_alias] if job.network_alias else None
                kwargs["networking_config"] = {network_mode: self.client.api.create_endpoint_config(aliases=aliases)}
                kwargs["sysctls"] = {"net.ipv6.conf.all.disable_ipv6": "1"}
                # Only the run's own names resolve here; an outside name would wait 10 s for an
                # upstream it can never reach (a candidate's sitecustomize can ask at every start).
                kwargs["dns_opt"] = ["timeout:1", "attempts:1"]
            container = self.client.containers.create(**kwargs)
        except docker.errors.ImageNotFound as exc:
            raise SandboxError(f"sandbox image {job.image!r} is not built: {exc}") from exc
        except docker.errors.APIError as exc:
            if exc.is_server_error():
                raise EngineError(f"the Docker engine could not create a container: {exc}") from exc
            raise SandboxError(f"could not create container: {exc}") from exc
        return container

    def _run_created(self, container: Container, job: SandboxJob) -> SandboxResult:
        limits = job.limits
        out = CappedStream(limits.output_bytes)
        err = CappedStream(limits.output_bytes)
        started = time.monotonic()
        container.start()
        stop = threading.Event()
        readers = [
            threading.Thread(target=_pump, args=(container, True, out, stop), daemon=True),
            threading.Thread(target=_pump, args=(container, False, err, stop), daemon=True),
        ]
        for reader in readers:
            reader.start()
        timed_out = False
        exit_code: int | None = None
        try:
            status = container.wait(timeout=limits.timeout_s)
            exit_code = int(status.get("StatusCode", -1))
        except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError) as exc:
            # Over a unix socket the job's own time limit also ends as a ConnectionError ("Read timed
            # out"); one that ends sooner is the engine's stream breaking (restarted, cut off): ours.
            if time.monotonic() - started < limits.timeout_s - _EARLY_S:
                raise EngineError(f"the Docker engine stopped answering while a job ran: {exc}") from exc
            timed_out = True
            with contextlib.suppress(docker.errors.APIError):
                container.kill()
            with contextlib.suppress(Exception):
                container.wait(timeout=30)
        duration = time.monotonic() - started
        _drain(container, readers, (out, err), stop)
        container.reload()
        state = container.attrs.get("State", {})
        if timed_out:
            verdict = Verdict.TIMEOUT
        elif state.get("OOMKilled"):
            verdict = Verdict.OOM
        elif exit_code == 0:
            verdict = Verdict.OK
        else:
            verdict = Verdict.FAILED
        result = result_error = None
        if job.result_path:
            try:
                result = self._take_file(container, job.result_path, job.result_max_bytes)
            except ResultFileError as exc:
                result_error = str(exc)
        return SandboxResult(
            verdict=verdict,
            exit_code=None if timed_out else exit_code,
            stdout=out.text(),
            stderr=err.text(),
            duration_s=duration,
            result=result,
            result_error=result_error,
            image_id=container.attrs.get("Image", ""),
            output_truncated=out.truncated or err.truncated,
        )

    def _take_file(self, container: Container, path: str, max_bytes: int) -> bytes:
        """Copy one regular file out of a (stopped) container, refusing links and giants."""
        try:
            stream, stat = container.get_archive(path)
        except docker.errors.NotFound as exc:
            raise ResultFileError(f"result file {path} was not written") from exc
        except docker.errors.APIError as exc:
            raise ResultFileError(f"result file {path} unreadable: {exc}") from exc
        mode = int(stat.get("mode", 0))
        if stat.get("linkTarget") or mode & _GO_MODE_SYMLINK:
            raise ResultFileError(f"result file {path} is a symlink; refused")
        if mode & _GO_MODE_DIR:
            raise ResultFileError(f"result file {path} is a directory; refused")
        if int(stat.get("size", 0)) > max_bytes:
            raise ResultFileError(f"result file {path} is {stat.get('size')} bytes, over the {max_bytes} cap")
        buf = io.BytesIO()
        for chunk in stream:
            buf.write(chunk)
            if buf.tell() > max_bytes + 64 * 1024:
                raise ResultFileError(f"result file {path} is over the {max_bytes} cap")
        buf.seek(0)
        with tarfile.open(fileobj=buf) as tar:
            members = tar.getmembers()
            if len(members) != 1 or not members[0].isfile():
                raise ResultFileError(f"result file {path} is not a single regular file; refused")
            data = tar.extractfile(members[0])
            assert data is not None
            return data.read(max_bytes + 1)[:max_bytes]

    def _remove(self, container: Container) -> None:
        self._remove_id(container.id)

    # -------------------------------------------------------------- networks
    @contextlib.contextmanager
    def network(self, run_id: str) -> Iterator[str]:
        """Create a network for one grading run: containers reach each other and nothing else.

        ``internal`` removes the route out; ``inhibit_ipv4`` leaves the bridge
        without a host address, so the host's own services (databases, the
        Docker API) are unreachable from the run too, which ``internal`` alone
        does not ensure.
        """
        name = f"grader-{run_id}-{uuid.uuid4().hex[:6]}"
        with _engine_faults("creating a network"):
            net = self.client.networks.create(
                name,
                driver="bridge",
                internal=True,
                options={"com.docker.network.bridge.inhibit_ipv4": "true"},
                labels=self._labels({LABEL_RUN: run_id}),
            )
        try:
            yield name
        finally:
            with _engine_faults("removing a network"), contextlib.suppress(docker.errors.APIError):
                net.reload()
                for c in net.containers:
                    with contextlib.suppress(docker.errors.APIError):
                        net.disconnect(c, force=True)
                net.remove()

    # --------------------------------------------------------------- volumes
    @contextlib.contextmanager
    def _volume_carrier(self, volume: str, image: str, *, mode: str, command=None, user: str | None = None):
        """A container that only mounts ``volume`` at /v: files go in and out through it."""
        container = self.client.containers.create(
            image, command or _LOADER_CMD, volumes={volume: {"bind": "/v", "mode": mode}}, network_disabled=True,
            labels=self._labels(), **({"user": user} if user else {}),
        )
        try:
            yield container
        finally:
            self._remove(container)

    @_guarded
    def volume_exists(self, name: str) -> bool:
        try:
            self.client.volumes.get(name)
            return True
        except docker.errors.NotFound:
            return False

    @_guarded
    def create_volume(self, name: str, *, image: str, owner: int = 0, labels: Mapping[str, str] | None = None) -> str:
        """Create an empty volume whose root belongs to ``owner`` (uid and gid)."""
        self.client.volumes.create(name, labels=self._labels(labels))
        if owner:
            self._chown_root(name, image, owner)
        return name

    @_guarded
    def volume_from_dir(
        self, name: str, source: Path, *, image: str, owner: int = 0, labels: Mapping[str, str] | None = None
    ) -> str:
        """Create a volume holding a copy of ``source``, every entry owned by ``owner``.

        Files are made read-only (0444/0555) when owned by root, so a non-root
        container can read them and change nothing even if mounted read-write.
        """
        self.client.volumes.create(name, labels=self._labels(labels))
        self._load(name, image, _tar_of_dir(source, owner=owner))
        return name

    @_guarded
    def volume_from_files(
        self, name: str, files: Mapping[str, bytes], *, image: str, owner: int = 0, labels: Mapping[str, str] | None = None
    ) -> str:
        self.client.volumes.create(name, labels=self._labels(labels))
        self._load(name, image, _tar_of_files(files, owner=owner))
        return name

    @_guarded
    def read_from_volume(self, name: str, path: str, *, image: str, max_bytes: int) -> bytes:
        """Read one regular file out of a volume, with the same checks as result files."""
        with self._volume_carrier(name, image, mode="ro") as container:
            return self._take_file(container, "/v/" + path.lstrip("/"), max_bytes)

    @_guarded
    def read_tree_from_volume(self, name: str, *, image: str, max_bytes: int) -> dict[str, bytes]:
        """Every regular file in a volume (links and devices skipped), at most ``max_bytes`` in all."""
        with self._volume_carrier(name, image, mode="ro") as container:
            try:
                stream, _ = container.get_archive("/v/.")
            except docker.errors.APIError as exc:
                raise ResultFileError(f"volume {name} unreadable: {exc}") from exc
            buf = io.BytesIO()
            for chunk in stream:
                buf.write(chunk)
                if buf.tell() > max_bytes + (1 << 20):
                    raise ResultFileError(f"volume {name} holds more than {max_bytes} bytes")
        buf.seek(0)
        files: dict[str, bytes] = {}
        with tarfile.open(fileobj=buf) as tar:
            for member in tar:
                if member.isfile():
                    data = tar.extractfile(member)
                    if data is not None:
                        files[member.name] = data.read()
        return files

    @_guarded
    def remove_volume(self, name: str) -> None:
        with contextlib.suppress(docker.errors.NotFound):
            try:
                self.client.volumes.get(name).remove(force=True)
            except docker.errors.APIError as exc:
                log.warning("could not remove volume %s: %s", name, exc)

    def _chown_root(self, volume: str, image: str, owner: int) -> None:
        """Give a fresh volume's root to ``owner``; Docker ignores ownership of "." in archives."""
        with self._volume_carrier(volume, image, mode="rw", command=["chown", f"{owner}:{owner}", "/v"], user="0") as c:
            c.start()
            if c.wait(timeout=60).get("StatusCode") != 0:
                raise SandboxError(f"could not prepare volume {volume}")

    def _load(self, volume: str, image: str, tar_bytes: bytes) -> None:
        """Unpack a tar into a volume through a created-but-never-started container."""
        with self._volume_carrier(volume, image, mode="rw") as container:
            if not container.put_archive("/v", tar_bytes):
                raise SandboxError(f"could not load files into volume {volume}")

    # --------------------------------------------------------------- cleanup
    @_guarded
    def remove_run(self, run_id: str) -> None:
        """Remove every container of one run at once (a job's wait then returns)."""
        for c in self._containers(f"{LABEL_RUN}={run_id}"):
            self._remove_id(c["Id"])

    @_guarded
    def remove_leftovers(self, run_id: str) -> None:
        """Remove what a run left when the engine went away under it: containers, then networks and volumes."""
        self.remove_run(run_id)
        for net in self.client.networks.list(filters={"label": f"{LABEL_RUN}={run_id}"}):
            with contextlib.suppress(docker.errors.APIError):
                net.remove()
        for vol in self.client.volumes.list(filters={"label": f"{LABEL_RUN}={run_id}"}):
            with contextlib.suppress(docker.errors.APIError):
                vol.remove(force=True)

    def _containers(self, label: str) -> list[dict]:
        """Containers carrying ``label``, listed without inspecting each: one may vanish meanwhile."""
        return self.client.api.containers(all=True, filters={"label": label})

    def _remove_id(self, container_id: str) -> None:
        with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
            self.client.api.remove_container(container_id, force=True, v=False)

    @_guarded
    def remove_orphans(self, *, older_than_s: float | None = None) -> int:
        """Remove this worker's leftover containers and run networks (e.g. after a crash).

        With ``older_than_s`` also removes any worker's leftovers older than that:
        a grading never lasts that long, so nothing alive is touched.
        """
        removed = 0
        now = time.time()
        for c in self._containers(LABEL):
            mine = (c.get("Labels") or {}).get(LABEL_WORKER) == self.worker
            created = float(c.get("Created") or 0)  # epoch seconds in the list answer
            stale = older_than_s is not None and created and now - created > older_than_s
            if mine or stale:
                self._remove_id(c["Id"])
                removed += 1
        for net in self.client.networks.list(filters={"label": LABEL}):
            if net.attrs.get("Labels", {}).get(LABEL_WORKER) == self.worker:
                with contextlib.suppress(docker.errors.APIError):
                    net.remove()
        for vol in self.client.volumes.list(filters={"label": LABEL_RUN}):
            if vol.attrs.get("Labels", {}).get(LABEL_WORKER) == self.worker:
                with contextlib.suppress(docker.errors.APIError):
                    vol.remove(force=True)
        return removed


class Service:
    """A running container (e.g. the candidate's app) that a tester talks to."""

    def __init__(self, container: Container, job: SandboxJob) -> None:
        self.container = container
        self.job = job

    @_guarded
    def running(self) -> bool:
        self.container.reload()
        return self.container.status == "running"

    @_guarded
    def state(self) -> dict:
        self.container.reload()
        return dict(self.container.attrs.get("State", {}))

    @_guarded
    def kill_signals(self) -> list[str]:
        """The signals the engine was asked to send this container (``docker kill``/``stop``, a shutdown).

        An exit code of 137 alone proves nothing: a process may exit with it by choice.
        Only the engine's own record says that something outside sent the kill.
        """
        created = str(self.container.attrs.get("Created") or "")[:19]  # "2026-11-28T13:50:01.123456789Z"
        since = int(datetime.fromisoformat(created).replace(tzinfo=timezone.utc).timestamp()) if created else 0
        events = self.container.client.events(
            since=since, until=int(time.time()) + 1, decode=True,
            filters={"container": self.container.id, "event": "kill"},
        )
        return [str(((e.get("Actor") or {}).get("Attributes") or {}).get("signal", "")) for e in events]

    @_guarded
    def logs(self, max_bytes: int = 64_000) -> str:
        stream = CappedStream(max_bytes)
        with contextlib.suppress(docker.errors.APIError):
            stream.write(self.container.logs(stdout=True, stderr=True))
        return stream.text()

    @_guarded
    def stop(self, timeout: int = 5) -> None:
        with contextlib.suppress(docker.errors.APIError):
            self.container.stop(timeout=timeout)

    @_guarded
    def cpu(self) -> dict:
        """CPU used and throttled so far (see ``sandbox.host.container_cpu``)."""
        return container_cpu(self.container)

    @_guarded
    def restart(self, timeout: int = 5) -> None:
        """Stop and start the same container (same name and network alias): drops work in flight."""
        try:
            self.container.restart(timeout=timeout)
        except docker.errors.APIError as exc:
            raise SandboxError(f"could not restart the service: {exc}") from exc


def _pump(container: Container, stdout: bool, sink: CappedStream, stop: threading.Event) -> None:
    try:
        for chunk in container.logs(stdout=stdout, stderr=not stdout, stream=True, follow=True):
            sink.write(chunk)
            if stop.is_set():
                return
    except Exception as exc:  # the container vanished: keep what we have
        log.debug("log stream ended: %s", exc)


def _drain(container: Container, readers: list[threading.Thread], sinks: tuple[CappedStream, ...], stop: threading.Event) -> None:
    """Let the log readers finish, then take the end of any stream they fell behind on.

    A flood of output leaves a reader megabytes behind when the process exits (more so on a
    busy host); the end of the output (how it ended) is what interviewers need, so it is
    asked of the daemon directly rather than read in order for as long as that takes.
    """
    deadline = time.monotonic() + _DRAIN_S
    for reader in readers:
        reader.join(timeout=max(0.0, deadline - time.monotonic()))
    stop.set()
    for stdout, reader, sink in zip((True, False), readers, sinks, strict=True):
        if not reader.is_alive():
            continue
        try:
            tail = container.logs(stdout=stdout, stderr=not stdout, tail=_TAIL_ENTRIES)
        except Exception as exc:  # the container vanished: keep what we have
            log.debug("log tail unavailable: %s", exc)
            continue
        sink.replace_tail(tail)


def _tar_of_dir(source: Path, *, owner: int) -> bytes:
    buf = io.BytesIO()
    read_only = owner == 0
    with tarfile.open(fileobj=buf, mode="w") as tar:

        def fix(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
            info.uid = info.gid = owner
            info.uname = info.gname = ""
            if info.isdir():
                info.mode = 0o555 if read_only else 0o755
            elif info.isfile():
                executable = info.mode & 0o111
                info.mode = (0o555 if executable else 0o444) if read_only else (0o755 if executable else 0o644)
            return info

        tar.add(str(source), arcname=".", filter=fix)
    return buf.getvalue()


def _tar_of_files(files: Mapping[str, bytes], *, owner: int) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for path, content in files.items():
            info = tarfile.TarInfo(path.lstrip("/"))
            info.size = len(content)
            info.mode = 0o644 if owner else 0o444
            info.uid = info.gid = owner
            tar.addfile(info, io.BytesIO(content))
    return buf.getvalue()
