# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
REGISTRY_DATA_DIR ?= $(CURDIR)/var
export PORT REGISTRY_DATA_DIR

.PHONY: run test lint migrate browser bench bench-proxy

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.runtime

## Start the registry on 127.0.0.1:$(PORT) with data in $(REGISTRY_DATA_DIR).
run: $(VENV)/.runtime
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py ensure_root
	@# The cheap part of the consistency check: what a killed worker left (temporary uploads,
	@# empty folders). It never stops the start; the full check is `manage.py registry_check`.
	-$(BIN)/python manage.py registry_check --repair --quick
	exec $(BIN)/gunicorn registry.wsgi --config gunicorn.conf.py

CHROMIUM := /usr/bin/chromium

## Lint, type-check and run the whole test suite (DATABASE_URL picks the database; SQLite by default).
test: $(VENV)/.dev browser
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest --cov --cov-report=term:skip-covered $(PYTEST_ARGS)

# The browser tests drive Debian's chromium (never a Playwright download); as root on a fresh
# machine we install it, otherwise those tests skip themselves.
browser:
	@if [ ! -x $(CHROMIUM) ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/mypy

## Benchmark against pypiserver and devpi (not part of `make test`; BENCH_PROJECTS=200 is quick).
bench: $(VENV)/.dev
	$(BIN)/python benchmarks/bench.py

## The bench's proxy section alone: ours in proxy mode against devpi's mirror and proxpi.
bench-proxy: $(VENV)/.dev
	$(BIN)/python benchmarks/proxy.py
