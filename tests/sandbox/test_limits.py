"""Each hardening promise of the sandbox, proven against a real container."""

import socket
import subprocess

from sandbox import Limits, Verdict

FORK_COUNTER = """python3 - <<'PY'
import os, time
children = 0
try:
    while children < 5000:
        pid = os.fork()
        if pid == 0:
            time.sleep(20)
            os._exit(0)
        children += 1
except OSError as exc:
    print("fork refused after", children, exc.strerror)
PY"""


def test_fork_bomb_is_contained_by_the_pids_limit(run):
    result = run(FORK_COUNTER, limits=Limits(pids=64, timeout_s=20))
    assert "fork refused after" in result.stdout, result
    children = int(result.stdout.split("fork refused after")[1].split()[0])
    assert children < 64


def test_memory_hog_is_killed_as_oom(run):
    result = run("python3 -c 'b = bytearray(600 * 1024 * 1024); print(len(b))'", limits=Limits(memory_mb=128, timeout_s=30))
    assert result.verdict is Verdict.OOM
    assert "629145600" not in result.stdout


def test_wall_clock_timeout_kills_and_says_so(run):
    result = run("sleep 60", limits=Limits(timeout_s=2))
    assert result.verdict is Verdict.TIMEOUT
    assert result.exit_code is None
    assert result.duration_s < 15


def test_no_network_means_loopback_only(run):
    result = run("ls /sys/class/net; python3 -c \"import socket; socket.getaddrinfo('pypi.org', 443)\"")
    assert result.stdout.split() == ["lo"]
    assert "gaierror" in result.stderr


def _host_ipv4_addresses() -> list[str]:
    out = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True, text=True, check=True).stdout
    return [line.split()[3].split("/")[0] for line in out.splitlines()]


PROBE = """python3 - "$@" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
for host in sys.argv[2:]:
    for attempt in range(20 if host == "peer" else 1):  # the peer may still be starting
        s = socket.socket(); s.settimeout(2)
        try:
            s.connect((host, port)); print(host, "reached"); break
        except OSError:
            time.sleep(0.25)
    else:
        print(host, "unreachable")
PY"""


def test_run_network_reaches_its_peers_but_not_the_host(docker_sandbox, images):
    """A listener on every host address stays out of reach; a peer on the run network answers."""
    from sandbox import SandboxJob

    listener = socket.socket()
    listener.bind(("0.0.0.0", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    addresses = _host_ipv4_addresses()
    try:
        with docker_sandbox.network("test-egress") as network:
            peer = SandboxJob(
                image=images.runner, command=("python3", "-m", "http.server", str(port)), network=network,
                network_alias="peer", limits=Limits(timeout_s=60),
            )
            with docker_sandbox.service(peer):
                probe = SandboxJob(
                    image=images.runner, command=("sh", "-c", PROBE, "probe", str(port), "peer", *addresses),
                    network=network, limits=Limits(timeout_s=60),
                )
                result = docker_sandbox.run(probe)
    finally:
        listener.close()
    lines = dict(line.split() for line in result.stdout.splitlines())
    assert lines.pop("peer") == "reached", result
    assert set(lines) == set(addresses)
    assert set(lines.values()) == {"unreachable"}, lines


def test_output_flood_keeps_head_and_tail_only(run):
    result = run("echo FIRST; head -c 30000000 /dev/zero | tr '\\0' x; echo; echo LAST", limits=Limits(output_bytes=10_000, timeout_s=60))
    assert result.output_truncated
    assert len(result.stdout) < 11_000
    assert result.stdout.startswith("FIRST")
    assert result.stdout.rstrip().endswith("LAST")
    assert "bytes omitted" in result.stdout


def test_root_filesystem_is_read_only(run):
    result = run("touch /usr/evil && echo wrote")
    assert result.verdict is Verdict.FAILED
    assert "Read-only file system" in result.stderr
    assert "wrote" not in result.stdout


def test_runs_as_non_root_without_capabilities(run):
    result = run("id -u; grep -E '^(CapEff|NoNewPrivs)' /proc/self/status")
    lines = result.stdout.split("\n")
    assert lines[0] == "10001"
    assert "CapEff:\t0000000000000000" in result.stdout
    assert "NoNewPrivs:\t1" in result.stdout


def test_tmpfs_is_size_capped(run):
    result = run("dd if=/dev/zero of=/tmp/fill bs=1M count=64 2>&1; echo rc=$?", limits=Limits(tmpfs_mb=8, fsize_mb=512, timeout_s=30))
    assert "No space left on device" in result.stdout


def test_file_size_ulimit_applies(run):
    result = run("python3 -c \"open('/tmp/big','wb').write(b'x' * (3 << 20))\"", limits=Limits(fsize_mb=1, tmpfs_mb=32, timeout_s=30))
    assert result.verdict is not Verdict.OK


def test_result_file_comes_out(run, out_volume):
    result = run("echo '{\"ok\": true}' > /out/result.json", mounts=(out_volume,), result_path="/out/result.json")
    assert result.result == b'{"ok": true}\n'


def test_symlinked_result_file_is_refused(run, out_volume):
    result = run("ln -s /etc/passwd /out/result.json", mounts=(out_volume,), result_path="/out/result.json")
    assert result.result is None
    assert "symlink" in result.result_error


def test_oversized_result_file_is_refused(run, out_volume):
    result = run(
        "head -c 2000000 /dev/zero > /out/result.json", mounts=(out_volume,), result_path="/out/result.json",
        result_max_bytes=1_000_000,
    )
    assert result.result is None
    assert "cap" in result.result_error


def test_inputs_are_read_only_and_root_owned(docker_sandbox, images, tmp_path):
    import uuid

    from sandbox import Mount, SandboxJob

    (tmp_path / "secret_test.py").write_text("assert True\n")
    volume = f"grader-test-in-{uuid.uuid4().hex[:8]}"
    docker_sandbox.volume_from_dir(volume, tmp_path, image=images.runner)
    try:
        job = SandboxJob(
            image=images.runner,
            command=("sh", "-c", "stat -c '%u %a' /in/secret_test.py; echo x >> /in/secret_test.py || echo refused"),
            mounts=(Mount(volume, "/in", read_only=False),),  # even mounted rw, root-owned 0444 files stay unchanged
        )
        result = docker_sandbox.run(job)
    finally:
        docker_sandbox.remove_volume(volume)
    assert result.stdout.splitlines() == ["0 444", "refused"]


def test_containers_are_removed_after_the_run(run, docker_sandbox):
    def mine() -> set[str]:
        label = {"label": f"grader.worker={docker_sandbox.worker}"}
        return {c["Id"] for c in docker_sandbox.client.api.containers(all=True, filters=label)}

    before = mine()
    run("true")
    assert mine() <= before


def test_a_volume_tree_comes_out_as_regular_files_only(run, out_volume, docker_sandbox, images):
    run("echo db > /out/app.db; mkdir /out/sub; echo wal > /out/sub/app.db-wal; ln -s /etc/passwd /out/link", mounts=(out_volume,))
    files = docker_sandbox.read_tree_from_volume(out_volume.volume, image=images.runner, max_bytes=1 << 20)
    assert {name.lstrip("./"): data for name, data in files.items()} == {"app.db": b"db\n", "sub/app.db-wal": b"wal\n"}


def test_output_flood_ends_with_its_last_line_when_the_reader_falls_behind(run, monkeypatch):
    """With no time to catch up, the end of the output is taken from the engine's own log."""
    import sandbox.runner

    monkeypatch.setattr(sandbox.runner, "_DRAIN_S", 0.0)
    result = run("echo FIRST; head -c 30000000 /dev/zero | tr '\\0' x; echo; echo LAST", limits=Limits(output_bytes=10_000, timeout_s=60))
    assert result.stdout.startswith("FIRST")
    assert result.stdout.rstrip().endswith("LAST")

