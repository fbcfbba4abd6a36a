# Everything goes through .venv, made on first use from requirements*.txt.
PY := .venv/bin/python
PORT ?= 8501

.PHONY: setup run test lint format bench clean

setup: .venv/.installed

.venv/.installed: requirements.txt requirements-dev.txt
	python3 -m venv .venv
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

## Set up, create data/tracker.db with the demo data (first time only) and open the app.
run: setup
	$(PY) -m tracker init --demo
	$(PY) -m streamlit run app.py --server.port $(PORT)

## Set up, then lint, type-check and run every test (PostgreSQL tests skip if no server is reachable).
test: setup lint
	$(PY) -m pytest

lint: setup
	$(PY) -m ruff check tracker tests bench app.py pages
	$(PY) -m ruff format --check tracker tests bench app.py pages
	$(PY) -m mypy

format: setup
	$(PY) -m ruff check --fix tracker tests bench app.py pages
	$(PY) -m ruff format tracker tests bench app.py pages

## Speed and memory figures (not run by CI): prints tables, writes bench/results.json.
## Extra flags: BENCH_ARGS for the import bench (e.g. --skip-naive), BENCH_PAGES_ARGS for the page bench.
BENCH_ARGS ?=
BENCH_PAGES_ARGS ?=
bench: setup
	$(PY) bench/bench_import.py $(BENCH_ARGS)
	$(PY) bench/bench_pages.py $(BENCH_PAGES_ARGS)
	$(PY) bench/bench_report.py

clean:
	rm -rf .venv .pytest_cache .mypy_cache .ruff_cache artifacts bench/out
