# Everything goes through .venv, made on first use from requirements*.txt.
PY := .venv/bin/python
PORT ?= 8501

.PHONY: setup run test lint node-tools format bench bench-growth bench-summary clean

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
test: setup lint node-tools
	$(PY) -m pytest

## The browser tests' Node.js tools, versions from their package-lock.json: the single sign-on tests' OpenID
## provider (tests/oidc, npm's oidc-provider) and axe-core for the accessibility test (tests/axe). Without npm those
## tests skip (CI installs Node.js first, and TRACKER_REQUIRE_BROWSER=1 makes them fail instead).
node-tools:
	@if command -v npm >/dev/null; then \
		npm ci --prefix tests/oidc --no-audit --no-fund --loglevel=error && \
		npm ci --prefix tests/axe --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: the single sign-on and accessibility tests will be skipped"; fi

lint: setup
	$(PY) -m ruff check tracker tests bench app.py pages assets
	$(PY) -m ruff format --check tracker tests bench app.py pages assets
	$(PY) -m mypy

format: setup
	$(PY) -m ruff check --fix tracker tests bench app.py pages assets
	$(PY) -m ruff format tracker tests bench app.py pages assets

## Speed and memory figures (not run by CI; about 12 minutes on 2 CPUs): every benchmark on SQLite and PostgreSQL,
## the growth runs at 3x and 10x, then ONE table and the growth table; figures in bench/results.json.
## Extra flags: BENCH_ARGS for bench/run_all.py (e.g. --import-args=--skip-naive, --growth-pg, --no-growth).
BENCH_ARGS ?=
bench: setup
	$(PY) bench/run_all.py $(BENCH_ARGS)

## Only the 3x and 10x growth runs, then the tables.
bench-growth: setup
	$(PY) bench/run_all.py --growth-only $(BENCH_ARGS)

## The tables from the figures already in bench/results.json (runs nothing).
bench-summary: setup
	$(PY) bench/run_all.py --summary-only

clean:
	rm -rf .venv .pytest_cache .mypy_cache .ruff_cache artifacts bench/out
