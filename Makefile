# Daiban: `make run` serves the demo on SQLite, `make test` runs the whole suite.
# `make check` runs ruff (lint and format) and mypy. All set up .venv from requirements.txt
# with a Python >= 3.12 found on this machine.

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.requirements-installed

.PHONY: run test check venv migrate seed messages bench clean

$(STAMP): requirements.txt
	@test -x $(PY) || "$$(sh scripts/find-python)" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $(STAMP)

venv: $(STAMP)

migrate: $(STAMP)
	@mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable

seed: migrate
	$(PY) manage.py seed_demo --if-empty

# The demo server and, beside it, a background worker (exports, roster checks, notices);
# stopping the server (Ctrl+C) stops the worker too.
run: seed
	$(PY) manage.py demo_logins
	@$(PY) manage.py worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver 127.0.0.1:8000

# The suite runs on every core (pytest-xdist, one test database and one live server per
# worker) where there are two or more. PYTEST_WORKERS=0 runs it in one process, any other
# count that many workers; PYTEST_ARGS adds to the command line (CI: -p no:cacheprovider)
# and, as it comes last, its own -n wins.
PYTEST_WORKERS ?= $(shell [ "$$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)" -ge 2 ] && echo auto || echo 0)

test: $(STAMP)
	@mkdir -p var
	$(PY) -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# Lint, format and types: ruff over the tree, mypy over config, grid, outreach and demo
# (strict on services, selectors and grid.access; see [tool.mypy] in pyproject.toml).
check: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# Benchmark (not part of `make test`): the demo city and a synthetic Yiwu-scale city
# (seed_city, BENCH_RESIDENTS residents; the first run generates it, ~7 minutes at
# 100,000) in a database of their own, then the median server time and query count of
# Today, the coverage GeoJSON and the dashboard at both scales, a login's CPU time, and on
# PostgreSQL the saturation throughput of the pages under gunicorn (2 workers, loopback
# clients) as a share of the floor (/healthz/live) and their bytes on the wire. BENCH_DATABASE_URL
# picks another database, e.g. postgres://postgres@127.0.0.1:5432/daiban_bench.
BENCH_RESIDENTS ?= 100000
BENCH_DATABASE_URL ?= sqlite:///$(CURDIR)/var/bench.sqlite3

bench: $(STAMP)
	@mkdir -p var
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py migrate --noinput -v0
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py createcachetable
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py seed_demo --if-empty
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py bench --ensure-city $(BENCH_RESIDENTS)

# Recompile the committed translations after editing locale/*/LC_MESSAGES/django.po.
messages: $(STAMP)
	$(PY) manage.py makemessages --all --ignore=.venv --no-obsolete
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) var
