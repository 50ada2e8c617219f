# Test-only git server for the compose test: serves /srv/git over git:// inside the compose network.
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}
RUN apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends git \
 && rm -rf /var/lib/apt/lists/*
COPY repo /tmp/repo
RUN cd /tmp/repo && git init -q -b main && git -c user.name=c -c user.email=c@x add -A \
 && git -c user.name=c -c user.email=c@x commit -q -m submission \
 && mkdir -p /srv/git && git clone -q --bare /tmp/repo /srv/git/notes.git
CMD ["git", "daemon", "--reuseaddr", "--export-all", "--base-path=/srv/git", "--informative-errors", "/srv/git"]
