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

.PHONY: setup host venv assets images test test-fast demo bench bench-perf bench-floor bench-dashboard lint clean

setup: host venv assets images

host:
	@bash scripts/setup-host.sh

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

# Pico CSS and htmx from the npm registry, pinned by package-lock.json (never copied into git).
ASSETS := grader/web/assets
assets: $(ASSETS)/node_modules/.installed

$(ASSETS)/node_modules/.installed: $(ASSETS)/package.json $(ASSETS)/package-lock.json | host
	cd $(ASSETS) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

images: host venv
	@GRADER_INSTANCE_DIR=$$(mktemp -d) $(BIN)/grader images

test: setup
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist load

test-fast: venv assets
	$(BIN)/pytest -m "not slow and not compose and not browser"

demo: setup
	$(BIN)/python scripts/demo.py

bench: setup
	$(BIN)/python bench/pipeline.py

# perf-challenge: scores, stability (3 gradings of the reference) and per-stage cost.
# Recruiter dashboard page load with 1,000 submissions stored (target p95 <= 150 ms).
bench-dashboard: setup
	$(BIN)/python bench/dashboard.py

# Issue 9's figures: saas-api and perf-challenge seconds per stage, verdict stability, gradings per hour,
# and the evidence for the cached starter baseline (about 45 minutes).
bench-floor: setup
	$(BIN)/python bench/floor.py

bench-perf: setup
	$(BIN)/python bench/perf_challenge.py --repeat 3

clean:
	rm -rf $(VENV) instance .demo .bench $(ASSETS)/node_modules
