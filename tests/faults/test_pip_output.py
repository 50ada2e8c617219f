"""Whose is a failed dependency download: read from pip's own output, captured from real runs (pip-outputs/).

pip says "Could not find a version that satisfies the requirement" both when a pin
does not exist (the candidate's) and when it never reached the index (ours); its
retry warnings tell which.  An index answering 503 leaves no trace in the output, so
the index itself is asked (a real server here, answering as a broken index would).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from grader.errors import InfrastructureFailure, InstallFailed
from grader.services.install import Installer, index_fault
from sandbox import Limits, SandboxResult, Verdict
from tests.faults.index_stub import closed_port, index_stub

OUTPUTS = Path(__file__).parent / "pip-outputs"


def output(name: str) -> str:
    return (OUTPUTS / f"{name}.txt").read_text()


def installer(index_url: str = "", pip_cert: str | None = None) -> Installer:
    """Only its judgement is used here: no job runs, so no engine is needed."""
    return Installer(None, "unused", limits=Limits(), max_download_mb=10, pip_cert=pip_cert, index_url=index_url)


def judge(inst: Installer, text: str) -> Exception:
    result = SandboxResult(verdict=Verdict.FAILED, exit_code=1, stdout="", stderr=text, duration_s=8.0)
    with pytest.raises((InfrastructureFailure, InstallFailed)) as caught:
        inst._check(result, "downloading wheels")
    return caught.value


@pytest.mark.parametrize("name, meaning", [
    ("refused", "the package index could not be reached"),
    ("proxy-refused", "the package index could not be reached"),
    ("dns", "the package index's host name could not be resolved (DNS)"),
    ("tls-self-signed", "the package index could not be reached over TLS: check GRADER_PIP_CERT"),
    ("read-timeout", "the package index did not answer in time"),
    # From the installer's fetch job in the runner image (its older pip words some of these differently):
    ("runner-refused", "the package index could not be reached"),
    ("runner-dns", "the package index's host name could not be resolved (DNS)"),
    ("runner-pypi-without-cert", "the package index could not be reached over TLS: check GRADER_PIP_CERT"),
])
def test_pip_that_never_reached_the_index_is_ours(name, meaning):
    assert meaning in index_fault(output(name))
    failure = judge(installer(), output(name))
    assert isinstance(failure, InfrastructureFailure) and failure.code == "infrastructure"
    assert failure.reason.startswith(f"downloading wheels failed on our side: {meaning}")
    assert "pip said: WARNING: Retrying" in failure.reason  # the operator sees pip's own line


def test_pip_crashing_in_a_tls_handshake_is_ours():
    """The runner's pip, given an https index at an IP address, dies in ssl.py with a traceback: not a candidate's pin."""
    failure = judge(installer(), output("runner-tls-self-signed"))
    assert isinstance(failure, InfrastructureFailure)
    assert "could not be reached over TLS" in failure.reason and 'ssl.py", line' in failure.reason


def test_the_tls_reason_says_which_ca_bundle_pip_was_given():
    assert "(GRADER_PIP_CERT is not set)" in index_fault(output("tls-self-signed"))
    assert "(GRADER_PIP_CERT=/etc/grader/ca.pem)" in index_fault(output("tls-self-signed"), "/etc/grader/ca.pem")


@pytest.mark.parametrize("name", ["no-such-project", "no-such-version", "runner-no-such-project", "runner-no-such-version"])
def test_a_pin_the_index_does_not_have_stays_the_candidates(name):
    assert index_fault(output(name)) is None
    # The index is asked about the project, over the CA bundle this host needs: it answers 404, so the candidate's.
    failure = judge(installer(pip_cert=os.environ.get("GRADER_PIP_CERT") or None), output(name))
    assert isinstance(failure, InstallFailed)
    assert "Could not find a version that satisfies the requirement" in failure.reason


@pytest.mark.parametrize("name", ["sslerror", "connectionerror", "newconnectionerror", "max-retries-exceeded"])
def test_a_requirement_named_like_an_error_cannot_pose_as_ours(name):
    """Requirement lines are normalised to lower case before pip sees them; error names match case-sensitively."""
    text = output("no-such-project").replace("no-such-package-grader-xyz", name)
    assert index_fault(text) is None


def test_an_index_answering_503_is_ours_though_pip_says_nothing_of_it():
    assert index_fault(output("http-503")) is None  # silent: only the index can say
    with index_stub("503") as port:
        failure = judge(installer(f"http://127.0.0.1:{port}/simple"), output("http-503"))
    assert isinstance(failure, InfrastructureFailure)
    assert f"answered HTTP 503 for http://127.0.0.1:{port}/simple/flask-sqlalchemy/" in failure.reason


def test_an_index_that_cannot_be_asked_afterwards_is_ours():
    failure = judge(installer(f"http://127.0.0.1:{closed_port()}/simple"), output("http-503"))
    assert isinstance(failure, InfrastructureFailure) and "could not be reached" in failure.reason


def test_a_healthy_index_without_the_project_leaves_it_the_candidates():
    with index_stub("404") as port:
        failure = judge(installer(f"http://127.0.0.1:{port}/simple"), output("no-such-project"))
    assert isinstance(failure, InstallFailed)


def test_a_download_killed_from_outside_is_ours():
    """No candidate code runs while wheels download: a SIGKILL that is not the memory limit came from outside."""
    result = SandboxResult(verdict=Verdict.FAILED, exit_code=137, stdout="", stderr="", duration_s=3.0)
    with pytest.raises(InfrastructureFailure, match="killed from outside the sandbox"):
        installer()._check(result, "downloading wheels")
