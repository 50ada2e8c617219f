"""The pre-flight check: the package index (real servers misbehaving on purpose) and the Docker engine, before grading."""

from __future__ import annotations

import os

import docker
import pytest

from grader.errors import InfrastructureFailure
from grader.services import preflight
from grader.services.preflight import index_problem
from sandbox.runner import DockerSandbox
from tests.faults.docker_proxy import DockerProxy
from tests.faults.index_stub import closed_port, index_stub, self_signed

HOST_CERT = os.environ.get("GRADER_PIP_CERT") or None  # what this host needs to reach PyPI, as the grader is given


@pytest.fixture(autouse=True)
def _fresh():
    preflight.forget()
    yield
    preflight.forget()


def test_a_healthy_index_passes():
    with index_stub("ok") as port:
        assert index_problem(f"http://127.0.0.1:{port}/simple", None) is None
        assert index_problem(f"http://127.0.0.1:{port}/simple/", None) is None


def test_the_default_index_passes_with_this_hosts_ca_bundle():
    assert index_problem("", HOST_CERT) is None


def test_an_index_answering_503_is_named_with_its_url():
    with index_stub("503") as port:
        assert index_problem(f"http://127.0.0.1:{port}/simple", None) == (
            f"the package index 127.0.0.1 answered HTTP 503 for http://127.0.0.1:{port}/simple/pip/")


def test_a_closed_port_is_unreachable():
    problem = index_problem(f"http://127.0.0.1:{closed_port()}/simple", None)
    assert problem.startswith("the package index 127.0.0.1 could not be reached:") and "refused" in problem


def test_an_unknown_host_is_a_dns_failure():
    assert "could not be resolved (DNS)" in index_problem("https://no-such-index.invalid/simple", None)


def test_an_index_that_never_answers_times_out(monkeypatch):
    monkeypatch.setattr(preflight, "TIMEOUT_S", 0.5)
    with index_stub("hang") as port:
        assert index_problem(f"http://127.0.0.1:{port}/simple", None).endswith("did not answer within 0.5 s (ReadTimeout)")


def test_an_untrusted_certificate_points_at_grader_pip_cert(tmp_path):
    cert, key = self_signed(tmp_path, "127.0.0.1")
    with index_stub("ok", tls=(cert, key)) as port:
        url = f"https://127.0.0.1:{port}/simple"
        problem = index_problem(url, None)
        assert problem.startswith("the package index 127.0.0.1 could not be reached over TLS: check GRADER_PIP_CERT")
        assert "GRADER_PIP_CERT is not set" in problem and "CERTIFICATE_VERIFY_FAILED" in problem
        assert index_problem(url, str(cert)) is None  # the bundle the install is given is the one trusted


def test_a_wrong_or_missing_index_page_is_a_configuration_problem():
    with index_stub("404") as port:
        url = f"http://127.0.0.1:{port}/simple"
        assert "answered HTTP 404" in index_problem(url, None) and "GRADER_PIP_INDEX_URL" in index_problem(url, None)
        assert index_problem(url, None, "no-such-project", missing_is_fine=True) is None


def test_a_success_is_remembered_and_a_failure_is_not(docker_sandbox):
    pings = []

    def ping():
        pings.append(1)
        docker_sandbox.ping()

    with index_stub("ok") as port:
        url = f"http://127.0.0.1:{port}/simple"
        preflight.check(ping, url, None)
        preflight.check(ping, url, None)
        assert len(pings) == 1  # the second grading within a minute pays nothing
        preflight.forget()
        preflight.check(ping, url, None)
        assert len(pings) == 2
    down = f"http://127.0.0.1:{closed_port()}/simple"
    for _ in range(2):
        with pytest.raises(InfrastructureFailure, match="could not be reached"):
            preflight.check(ping, down, None)
    assert len(pings) == 2  # the index is asked first: no engine round trip for a grading that cannot install


def test_an_engine_that_went_away_fails_the_check(tmp_path_factory):
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.mkdtemp(prefix="dproxy-", dir="/tmp"))
    proxy = DockerProxy(folder / "engine.sock")
    proxy.start()
    try:
        sandbox = DockerSandbox(docker.DockerClient(base_url=proxy.url, timeout=10), worker="preflight-test")
        with index_stub("ok") as port:
            url = f"http://127.0.0.1:{port}/simple"
            preflight.check(sandbox.ping, url, None)
            preflight.forget()
            proxy.cut()
            with pytest.raises(InfrastructureFailure, match="the Docker engine at .* did not answer"):
                preflight.check(sandbox.ping, url, None)
            proxy.start()
            preflight.check(sandbox.ping, url, None)  # back: the next grading goes ahead
    finally:
        proxy.cut()
        folder.rmdir() if not any(folder.iterdir()) else None
