# The two commands a new user needs: `make run` (demo on embedded defaults) and `make test` (whole suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export DATABASE_URL_TEST := $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/vpp)
export REDIS_URL_TEST := $(or $(REDIS_URL),redis://127.0.0.1:6379/0)
# Test processes (pytest-xdist): each has its own test database and Redis database (tests/plugins/environment.py).
# PYTEST_WORKERS=0 runs the suite in one process.
PYTEST_WORKERS ?= 2

.PHONY: run test lint format bench clean chromium

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

venv: $(VENV)/.installed

# Embedded defaults: SQLite under var/, a file-based Celery broker, the vendor simulators as the clouds.
run: venv
	env -u DATABASE_URL -u REDIS_URL -u CELERY_BROKER_URL $(PY) -m vpp.devserver

test: venv chromium
	DATABASE_URL=$(DATABASE_URL_TEST) REDIS_URL=$(REDIS_URL_TEST) scripts/ensure-services.sh
	DATABASE_URL=$(DATABASE_URL_TEST) REDIS_URL=$(REDIS_URL_TEST) $(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile --durations=25 $(PYTEST_ARGS)

# The browser tests drive Debian's Chromium (Playwright with executable_path, no browser download).
chromium:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: venv
	for b in bench/bench_*.py; do $(PY) -m bench.$$(basename $$b .py) || exit 1; done

clean:
	rm -rf var
