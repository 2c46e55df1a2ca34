# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
BENCH_STAMP := $(VENV)/.installed-bench
PDS := $(BIN)/pds

export PDS_DATA_DIR ?= .pds
PDS_HOST ?= 127.0.0.1
PDS_PORT ?= 8000

.PHONY: run test lint typecheck contracts pytest install install-test openapi clean bench run-postgres bench-quick profile

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

$(BENCH_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[bench]'
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

# The bench's own tools: wrk from Debian, and PostgreSQL's server binaries (the harness starts its
# own throwaway cluster the way shared/RECIPES.md does).
BENCH_TOOLS = command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk); \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
	(apt-get update -qq && apt-get install -y -qq postgresql)

## make bench: 100k people, 1M records, 1M audit entries; SQLite and PostgreSQL under wrk (~11 min on 2 cores)
bench: $(BENCH_STAMP)
	@$(BENCH_TOOLS)
	$(BIN)/python -m bench.run --scale full

## make bench-quick: the same scenarios at a small scale (~5 min)
bench-quick: $(BENCH_STAMP)
	@$(BENCH_TOOLS)
	$(BIN)/python -m bench.run --scale quick

## make profile: py-spy on the server while wrk loads the NGO fetch (MODE=baseline|refresh too)
MODE ?= fetch
profile: $(BENCH_STAMP)
	@$(BENCH_TOOLS)
	$(BIN)/python -m bench.profile $(MODE)

## make run-postgres: like make run, on a local PostgreSQL in DATA_DIR/pg (stopped on exit)
PG_DIR = $(abspath $(PDS_DATA_DIR))/pg
PG_PORT ?= 54330
PG_URL = postgresql+psycopg://postgres@127.0.0.1:$(PG_PORT)/pds
run-postgres: $(STAMP)
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
		(apt-get update -qq && apt-get install -y -qq postgresql)
	@PGBIN=$$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1); \
	mkdir -p $(PG_DIR) && chown postgres:postgres $(PG_DIR); \
	[ -d $(PG_DIR)/data ] || runuser -u postgres -- $$PGBIN/initdb -D $(PG_DIR)/data \
		-U postgres --auth=trust -E UTF8 --no-locale >/dev/null; \
	runuser -u postgres -- $$PGBIN/pg_ctl -D $(PG_DIR)/data -l $(PG_DIR)/server.log -w \
		-o "-p $(PG_PORT) -c listen_addresses=127.0.0.1 -k $(PG_DIR)" start >/dev/null; \
	trap 'runuser -u postgres -- $$PGBIN/pg_ctl -D $(PG_DIR)/data -m fast -w stop >/dev/null' EXIT; \
	createdb -h 127.0.0.1 -p $(PG_PORT) -U postgres pds 2>/dev/null; \
	export PDS_DATABASE_URL=$(PG_URL); \
	$(PDS) keys init --dev --if-missing && $(PDS) migrate && $(PDS) demo && \
	echo "Serving on http://$(PDS_HOST):$(PDS_PORT) with PostgreSQL at $(PG_URL). Ctrl-C to stop." && \
	$(PDS) serve --host $(PDS_HOST) --port $(PDS_PORT)
