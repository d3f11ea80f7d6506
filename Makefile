# studio402: every target sets itself up on a fresh machine (venv, pip, npm packages).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
NPM_PACKAGES := @foundry-rs/anvil@1.7.1 solc@0.8.37

.PHONY: run demo test lint format deps clean-data bench

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

.devchain/.installed:
	mkdir -p .devchain
	npm install --prefix .devchain --no-save --no-audit --no-fund --ignore-scripts $(NPM_PACKAGES)
	touch $@

deps: $(BIN)/.installed .devchain/.installed

# Third-party x402 clients for the interop tests (pinned in interop/package-lock.json; agentcash
# 0.14.4 needs --legacy-peer-deps). Without npm the interop tests skip with the reason.
interop/node_modules/.installed: interop/package.json interop/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix interop --legacy-peer-deps --no-audit --no-fund --ignore-scripts && touch $@; \
	else echo "npm not found: the interop tests will be skipped"; fi

# mppx (wevm), the MPP client the MPP interop tests drive, pinned in interop/mppx/package-lock.json
# (mppx 0.11.0 sits below viem's optional mppx peer range, hence legacy peer deps).
interop/mppx/node_modules/.installed: interop/mppx/package.json interop/mppx/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix interop/mppx --legacy-peer-deps --no-audit --no-fund --ignore-scripts && touch $@; \
	else echo "npm not found: the mppx interop tests will be skipped"; fi

run: deps  ## dev profile: local chain + API on 127.0.0.1:8402
	$(BIN)/studio402 serve

demo: deps  ## start everything, pay for one generation with the official x402 client, stop
	$(BIN)/studio402 demo

test: deps interop/node_modules/.installed interop/mppx/node_modules/.installed
	$(BIN)/python -m pytest

lint: deps
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy src

format: deps
	$(BIN)/ruff check --fix src tests bench scripts
	$(BIN)/ruff format src tests bench scripts

bench: deps
	$(BIN)/python bench/paywall.py

clean-data:
	rm -rf .studio402
