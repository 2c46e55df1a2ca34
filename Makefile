# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
PDS := $(BIN)/pds

export PDS_DATA_DIR ?= .pds
PDS_HOST ?= 127.0.0.1
PDS_PORT ?= 8000

.PHONY: run test lint typecheck contracts pytest install install-test openapi clean bench run-postgres

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	# Browser tests drive Debian's Chromium (never a downloaded one); the font shows Hindi.
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium fonts-lohit-deva)
	touch $(STAMP) $@

install: $(STAMP)
install-test: $(TEST_STAMP)

## make run: install, create development keys, migrate, seed the demo, serve on 127.0.0.1:8000
run: $(STAMP)
	$(PDS) keys init --dev --if-missing
	$(PDS) migrate
	$(PDS) demo
	@echo "Serving on http://$(PDS_HOST):$(PDS_PORT) (demo credentials above). Ctrl-C to stop."
	$(PDS) serve --host $(PDS_HOST) --port $(PDS_PORT)

## make test: lint, type-check, architecture contracts, then the whole test suite
test: $(TEST_STAMP) lint typecheck contracts pytest

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(TEST_STAMP)
	$(BIN)/mypy

contracts: $(TEST_STAMP)
	$(BIN)/lint-imports

pytest: $(TEST_STAMP)
	$(BIN)/python -m pytest -n 2 -p no:cacheprovider

openapi: $(STAMP)
	$(PDS) openapi --output openapi/openapi.json

clean:
	rm -rf $(VENV) .pds .mypy_cache .ruff_cache
