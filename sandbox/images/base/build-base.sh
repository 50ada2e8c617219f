#!/usr/bin/env bash
# Build the local base image (Debian bookworm + Python 3.11) without any registry.
#
# Why: these machines reach Debian's mirror but no container registry, so the
# sandbox images start FROM an image we make ourselves with debootstrap.  A normal
# deployment skips this and passes BASE_IMAGE=python:3.11-slim to the builds.
set -euo pipefail
name=${1:-grader-base:bookworm}
if docker image inspect "$name" >/dev/null 2>&1; then
  echo "base image $name already present"; exit 0
fi
mirror=${DEBIAN_MIRROR:-$(cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
  | sed -n 's/^URIs: *//p; s/^deb \(http[^ ]*\) bookworm .*/\1/p' | grep -v security | head -n1 || true)}
mirror=${mirror:-http://deb.debian.org/debian}
rootfs=$(mktemp -d /tmp/grader-rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT
echo "debootstrap bookworm from $mirror into $rootfs"
debootstrap --variant=minbase \
  --include=python3,python3-venv,ca-certificates \
  bookworm "$rootfs" "$mirror" >/tmp/grader-debootstrap.log 2>&1 || {
    tail -n 30 /tmp/grader-debootstrap.log; exit 1; }
# Same sources inside the image, so Dockerfiles can apt-get install.
echo "deb $mirror bookworm main" >"$rootfs/etc/apt/sources.list"
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
tar -C "$rootfs" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["python3"]' - "$name"
echo "built $name"
