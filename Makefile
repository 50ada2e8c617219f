# Two commands on a fresh Debian machine: `make demo` and `make test`.
# Each does its own set-up: host packages and dockerd, the virtualenv, images.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
# pip inside containers trusts this CA bundle (set empty to use the image's own).
export GRADER_PIP_CERT ?= $(wildcard /etc/ssl/certs/ca-certificates.crt)
# Local base image built with debootstrap; a normal deployment uses python:3.11-slim.
export GRADER_BASE_IMAGE ?= grader-base:bookworm
PYTEST_WORKERS ?= 2

.PHONY: setup host venv images test test-fast demo bench bench-perf lint clean

setup: host venv images

host:
	@bash scripts/setup-host.sh

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

images: host venv
	@GRADER_INSTANCE_DIR=$$(mktemp -d) $(BIN)/grader images

test: setup
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist load

test-fast: venv
	$(BIN)/pytest -m "not slow and not compose"

demo: setup
	$(BIN)/python scripts/demo.py

bench: setup
	$(BIN)/python bench/pipeline.py

# perf-challenge: scores, stability (3 gradings of the reference) and per-stage cost.
bench-perf: setup
	$(BIN)/python bench/perf_challenge.py --repeat 3

clean:
	rm -rf $(VENV) instance .demo .bench
