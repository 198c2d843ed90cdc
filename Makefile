# grokpipe — everything a fresh Debian machine (Python 3.11, no Docker) needs is installed from here.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The distributions: the shared core, the pattern library, the three services; the root gathers them (and dev tools).
DISTS := core grok_patterns shipper indexer api
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml $(DISTS:%=%/pyproject.toml) | sha1sum | cut -c1-12)
# Debian packages the tests and benchmarks drive as real peers (and the browser of the console tests); the lib* ones
# are what syslog-ng needs, which bench/indexer.py unpacks under .grokpipe/peers (installing it would remove rsyslog).
SYSTEM_PACKAGES := rsyslog rsyslog-kafka rsyslog-gnutls util-linux bsdutils openssl procps chromium chromium-driver fonts-dejavu-core libivykis0 libnet1 libjson-c5 libwrap0 libglib2.0-0 libpcre3 subversion
# named for the package list, so adding a package installs it on machines that had the old list
SYSTEM_STAMP := .grokpipe/.system-packages-$(shell echo $(SYSTEM_PACKAGES) | sha1sum | cut -c1-12)

# npm packages the Sentry input's tests drive as real clients, pinned, in a project-local prefix (no .bin links:
# the tree holds no symlinks, tests/unit/grokpipe/test_layout.py; the tests run the CLI through node)
NPM_DIR := .grokpipe/npm
NPM_PACKAGES := @sentry/node@11.12.0 @sentry/cli@3.8.0
NPM_STAMP := $(NPM_DIR)/.installed-$(shell echo $(NPM_PACKAGES) | sha1sum | cut -c1-12)

.PHONY: run test lint bench system-packages npm-packages clean

$(STAMP):
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { apt-get update -qq && apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q $(DISTS:%=-e ./%) -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

system-packages: $(SYSTEM_STAMP)
$(SYSTEM_STAMP):
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	@mkdir -p $(dir $@) && touch $@

npm-packages: $(NPM_STAMP)
$(NPM_STAMP):
	@command -v npm >/dev/null || { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null; }
	@mkdir -p $(NPM_DIR) && npm install --prefix $(NPM_DIR) --save-exact --no-audit --no-fund --no-bin-links $(NPM_PACKAGES)
	@rm -f $(NPM_DIR)/.installed-* && touch $@

## make run: the whole pipeline on the embedded Kafka + Elasticsearch (noida-db); Ctrl-C stops it.
run: $(STAMP)
	$(BIN)/grokpipe up

## make test: install what the tests need, then run unit, integration and end-to-end tests, a test file per
## worker process at a time (each worker has its own embedded server; TEST_WORKERS=0 runs them in this process).
TEST_WORKERS ?= 2
test: $(STAMP) system-packages npm-packages
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

## make lint: ruff, mypy (code, tests and benches) and the architecture's import contracts.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

## make bench: every bench/*.py in turn; each prints its own table (BENCH=shipper runs one).
bench: $(STAMP) system-packages
	@set -e; for f in $(if $(BENCH),bench/$(BENCH).py,bench/*.py); do echo "== $$f"; $(BIN)/python $$f; done

clean:
	rm -rf $(VENV) .grokpipe .pytest_cache .mypy_cache .ruff_cache
