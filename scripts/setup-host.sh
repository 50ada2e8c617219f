#!/usr/bin/env bash
# Install and start what the grader needs on a fresh Debian machine (idempotent).
#
# Docker engine, debootstrap (local base images: no registry here), Redis and
# PostgreSQL (production-mode tests), git (clone + the test git daemon),
# docker-compose (the compose test), npm (the pages' front-end packages) and
# Chromium (browser tests, driven by Playwright).  Starts dockerd when none answers.
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v redis-server >/dev/null || need+=(redis-server)
[ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql)
command -v git >/dev/null || need+=(git)
command -v docker-compose >/dev/null || need+=(docker-compose)
command -v ip >/dev/null || need+=(iproute2)
command -v iptables >/dev/null || need+=(iptables)
python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
command -v npm >/dev/null || need+=(npm)
[ -x /usr/bin/chromium ] || need+=(chromium fonts-dejavu-core)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup-host: installing ${need[*]}"
  $SUDO apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  echo "setup-host: starting dockerd"
  $SUDO sh -c 'nohup dockerd >/var/log/grader-dockerd.log 2>&1 &'
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  docker info >/dev/null 2>&1 || { echo "dockerd did not start:"; tail -n 20 /var/log/grader-dockerd.log; exit 1; }
fi
echo "setup-host: docker $(docker version --format '{{.Server.Version}}'), ready"
