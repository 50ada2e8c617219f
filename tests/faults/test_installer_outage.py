"""The dependency download in the real runner image, with its index in trouble: ours, never the candidate's.

Each fetch runs pip in the sandbox as a grading does (egress on Docker's default bridge);
the broken indexes are real servers on this host's bridge address, or nothing at all.
The requirement is new each time, so no dependency cache can answer instead of pip.
"""

from __future__ import annotations

import ipaddress
import uuid

import pytest

from grader.errors import InfrastructureFailure, InstallFailed
from grader.services import preflight
from grader.services.install import Installer, parse_requirements
from sandbox import Limits, RunScope
from tests.faults.index_stub import index_stub

pytestmark = pytest.mark.slow


@pytest.fixture
def bridge_ip(engine) -> str:
    """The host's address on Docker's default bridge: what a fetch container can reach of this host.

    A freshly started engine may list only the subnet (no ``Gateway``): the bridge then has
    the subnet's first address, as Docker assigns it.
    """
    config = engine.networks.get("bridge").attrs["IPAM"]["Config"][0]
    return config.get("Gateway") or str(next(ipaddress.ip_network(config["Subnet"]).hosts()))


@pytest.fixture
def fetch(docker_sandbox, images):
    """Run the installer once with ``index_url``; return what it raised."""
    def _fetch(index_url: str, pip_cert: str | None = None) -> Exception:
        installer = Installer(docker_sandbox, images.runner, limits=Limits(timeout_s=120, memory_mb=512),
                              max_download_mb=20, pip_cert=pip_cert, index_url=index_url)
        requirements = parse_requirements(f"grader-fault-{uuid.uuid4().hex[:10]}==1.0\n")
        with pytest.raises((InfrastructureFailure, InstallFailed)) as caught, \
                RunScope(docker_sandbox, f"fault-{uuid.uuid4().hex[:8]}") as scope:
            installer.install(requirements, scope)
        assert not docker_sandbox.volume_exists(installer.volume_name(requirements))  # no half-made cache kept
        return caught.value
    return _fetch


def test_an_index_nobody_listens_on_is_ours(fetch):
    failure = fetch("http://127.0.0.1:9/simple")  # the container's own loopback: refused
    assert isinstance(failure, InfrastructureFailure), failure
    assert "downloading wheels failed on our side: the package index could not be reached" in failure.reason
    assert "NewConnectionError" in failure.reason


def test_pypi_without_the_ca_bundle_this_host_needs_is_ours_and_names_grader_pip_cert(fetch):
    """Issue 10's own case: behind a TLS-intercepting proxy, pip without GRADER_PIP_CERT fails every download."""
    if preflight.index_problem("", None) is None:
        pytest.skip("this host reaches PyPI without an extra CA bundle, so there is no TLS failure to provoke "
                    "(the classification of one is tested on recorded output in test_pip_output.py)")
    failure = fetch("", pip_cert=None)
    assert isinstance(failure, InfrastructureFailure), failure
    assert "could not be reached over TLS: check GRADER_PIP_CERT (GRADER_PIP_CERT is not set)" in failure.reason
    assert "CERTIFICATE_VERIFY_FAILED" in failure.reason


def test_an_index_answering_503_is_ours(fetch, bridge_ip):
    with index_stub("503", bind=bridge_ip) as port:
        failure = fetch(f"http://{bridge_ip}:{port}/simple")
    assert isinstance(failure, InfrastructureFailure), failure
    assert "answered HTTP 503" in failure.reason


def test_a_healthy_index_without_the_project_is_the_candidates(fetch, bridge_ip):
    with index_stub("404", bind=bridge_ip) as port:
        failure = fetch(f"http://{bridge_ip}:{port}/simple")
    assert isinstance(failure, InstallFailed), failure
    assert "Could not find a version that satisfies the requirement grader-fault-" in failure.reason
