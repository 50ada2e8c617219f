"""Build the sandbox images once per content: tags carry a hash of what went in.

Why hashes: a test run, the demo and every worker ask for "the runner image";
if its Dockerfile, requirements or base did not change, the existing image is
reused, so images are built once per change rather than once per grading.
"""

from __future__ import annotations

import hashlib
import io
import logging
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.errors

from sandbox.errors import SandboxError

log = logging.getLogger(__name__)

IMAGES_DIR = Path(__file__).parent / "images"
IMAGE_NAMES = ("runner", "tester")
LOCAL_BASE = "grader-base:bookworm"


@dataclass(frozen=True)
class ImageSet:
    """Tags of the images a grading needs."""

    runner: str  # candidate code: install, serve, own tests
    tester: str  # hidden suites


def ensure_local_base(name: str = LOCAL_BASE) -> str:
    """Make the debootstrap base image if it is missing (no registry needed)."""
    client = docker.from_env()
    try:
        client.images.get(name)
        return name
    except docker.errors.ImageNotFound:
        pass
    script = IMAGES_DIR / "base" / "build-base.sh"
    log.info("building base image %s with debootstrap", name)
    proc = subprocess.run(["bash", str(script), name], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SandboxError(f"base image build failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return name


def image_tag(kind: str, base_image: str, index_url: str = "", folder: Path | None = None) -> str:
    digest = hashlib.sha256()
    digest.update(base_image.encode() + b"\0" + index_url.encode() + b"\0")
    folder = folder or IMAGES_DIR / kind
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    return f"grader-{kind}:{digest.hexdigest()[:12]}"


def build_image(
    kind: str, *, base_image: str, extra_ca_bundle: str | None = None, index_url: str = "", folder: Path | None = None
) -> str:
    """Build ``folder`` (default ``sandbox/images/<kind>``) FROM ``base_image`` unless that exact build exists.

    Assessments bring their own images the same way (e.g. a seeded database):
    a folder with a Dockerfile whose ``FROM`` is the ``BASE_IMAGE`` argument.
    """
    client = docker.from_env(timeout=900)
    tag = image_tag(kind, base_image, index_url, folder)
    try:
        client.images.get(tag)
        return tag
    except docker.errors.ImageNotFound:
        pass
    folder = folder or IMAGES_DIR / kind
    ca = Path(extra_ca_bundle).read_bytes() if extra_ca_bundle else b""
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                tar.add(str(path), arcname=path.relative_to(folder).as_posix())
        info = tarfile.TarInfo("extra-ca.crt")
        info.size = len(ca)
        tar.addfile(info, io.BytesIO(ca))
    context.seek(0)
    log.info("building %s from %s", tag, base_image)
    try:
        client.images.build(
            fileobj=context,
            custom_context=True,
            tag=tag,
            buildargs={"BASE_IMAGE": base_image, "PIP_INDEX_URL": index_url},
            rm=True,
            forcerm=True,
            labels={"grader.managed": "1"},
        )
    except (docker.errors.BuildError, docker.errors.APIError) as exc:
        detail = "".join(str(x.get("stream", x.get("error", ""))) for x in getattr(exc, "build_log", []) or [])
        raise SandboxError(f"building {tag} failed: {exc}\n{detail[-3000:]}") from exc
    return tag


def ensure_images(*, base_image: str | None = None, extra_ca_bundle: str | None = None, index_url: str = "") -> ImageSet:
    """Return the image set, building what is missing (base included when local)."""
    base = base_image or ensure_local_base()
    if base == LOCAL_BASE:
        ensure_local_base()
    tags = {k: build_image(k, base_image=base, extra_ca_bundle=extra_ca_bundle, index_url=index_url) for k in IMAGE_NAMES}
    return ImageSet(**tags)
