# Two entry points (see README): `make demo` runs the main job on an embedded database, `make test` runs every check.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
# Google Cloud is never reached from here: google-auth must not probe the GCE metadata server (tests, benchmarks).
export NO_GCE_CHECK := true
export GCE_METADATA_IP := 127.0.0.1:9
export GCE_METADATA_HOST := 127.0.0.1:9

.PHONY: setup demo test lint typecheck unit gates docs bench-smoke bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-*
	touch $@

## The main job: validate and compile the example connectors, then sync a demo connector twice on an
## embedded DuckDB database (no server needed), showing what the second run changed.
demo: setup
	$(BIN)/python scripts/validate_connectors.py
	$(BIN)/compiler build connectors --out out/plans
	$(BIN)/runtime demo --dir out/demo

## Everything CI runs.
test: setup lint typecheck unit gates docs bench-smoke

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

## One worker per core, whole files per worker (each worker has its own scratch databases: tests/conftest.py).
unit: setup
	$(BIN)/pytest -q -n auto --dist loadfile

gates: setup
	$(BIN)/python scripts/validate_connectors.py --strict
	$(BIN)/python scripts/check_tdd_guardrails.py
	$(BIN)/python scripts/check_docs_drift.py
	$(BIN)/python scripts/check_connector_reference_drift.py
	$(BIN)/runtime test

docs: setup
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir $(VENV)/site

## A tiny run of every benchmark, so that they never rot (figures are meaningless at this size).
bench-smoke: setup
	$(BIN)/python bench/bench_validate.py --count 50
	$(BIN)/python bench/bench_build.py --count 20 --runs 1
	$(BIN)/python bench/bench_extract.py --rows 2000 --repeat 1
	$(BIN)/python bench/bench_sync.py --rows 2000 --copy-runs 1
	$(BIN)/python bench/bench_sync.py --provider mysql --rows 2000 --copy-runs 1
	$(BIN)/python bench/bench_rest.py --records 2000 --pages 20 --repeat 1 --latency-ms 5
	$(BIN)/python bench/bench_push.py --clients 2 --requests 5 --batch 10 --fsync-samples 10
	$(BIN)/python bench/bench_deliver.py --upserts 2000 --deletes 200 --uploads 1
	$(BIN)/python bench/bench_files.py --rows 2000 --files 2
	$(BIN)/python bench/bench_harness.py --cases 1

## Full-size benchmarks (minutes; figures go to docs/benchmarks.md).
bench: setup
	$(BIN)/python bench/bench_validate.py
	$(BIN)/python bench/bench_build.py
	$(BIN)/python bench/bench_extract.py
	$(BIN)/python bench/bench_sync.py
	$(BIN)/python bench/bench_rest.py
	$(BIN)/python bench/bench_push.py
	$(BIN)/python bench/bench_deliver.py
	$(BIN)/python bench/bench_files.py
	$(BIN)/python bench/bench_harness.py

clean:
	rm -rf out site .mypy_cache .ruff_cache .pytest_cache
