# wagtail-bec — the commands a new user needs. See README.md.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
# make test runs the suite on every core (pytest-xdist, one database per worker); TEST_WORKERS=0 runs it serially.
TEST_WORKERS ?= auto

.PHONY: demo test lint bench bench-exports bench-voting install install-dev messages serve clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PIP) install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## make demo: install, migrate SQLite, load the demo bureau, print the accounts, serve on 127.0.0.1:8000
demo: install
	$(PY) manage.py migrate --no-input
	$(PY) manage.py bec_demo
	@echo ""
	@echo "Site : http://$(HOST):$(PORT)/   Administration : http://$(HOST):$(PORT)/admin/"
	$(PY) manage.py runserver $(HOST):$(PORT)

## make test: install the dev dependencies and run the whole suite in parallel (PostgreSQL when DATABASE_URL is set)
test: install-dev
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup

lint: install-dev
	$(PY) -m ruff check .

## make bench: bureau page and observation list (100,000 observations) next to a bare Wagtail page, under gunicorn
##   (BENCH_OBSERVATIONS=10000 for a quick run; on PostgreSQL when DATABASE_URL is set, in a throwaway database)
bench: install-dev
	$(PY) bench/run.py

## make bench-voting: 50 members cast and change ballots on one proposal at once (PostgreSQL: set DATABASE_URL)
bench-voting: install-dev
	$(PY) bench/voting.py

## make bench-exports: time and peak memory of the streamed coded-segments export (CSV, XLSX) of 100,000
##   observations (BENCH_OBSERVATIONS=2000 for a quick run; PostgreSQL when DATABASE_URL is set)
bench-exports: install-dev
	$(PY) bench/exports.py

## make messages: refresh and compile the translation catalogues (needs GNU gettext)
messages: install-dev
	for app in participants commons studies; do (cd $$app && ../$(PY) ../manage.py makemessages -l fr -l en --no-obsolete) || exit 1; done
	$(PY) manage.py makemessages -l fr -l en --no-obsolete -i ".venv/*" -i "participants/*" -i "commons/*" -i "studies/*" -i "tests/*" -i "bench/*" -i "docs/*"
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache
