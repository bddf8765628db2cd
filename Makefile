# Jaga: the README's commands. `make demo` runs the Trenggalek demo; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test heavy lint bench messages install serve replica replica-stop clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	DEBUG=1 $(BIN)/jaga migrate --no-input -v 0
	DEBUG=1 $(BIN)/jaga demo
	@echo "Jaga is at http://$(HOST):$(PORT)/  (Ctrl-C stops it and its task worker)"
	DEBUG=1 $(BIN)/jaga db_worker --no-reload -v 0 & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  DEBUG=1 JAGA_DEMO_SKIP_2FA=1 $(BIN)/jaga runserver $(HOST):$(PORT)

# Production: gunicorn, the task worker and the scheduler under one supervisor (docs/operations.md).
# Needs the production environment (SECRET_KEY, DATABASE_URL, ...); WORKERS defaults to 2 x CPUs + 1.
serve: $(STAMP)
	$(BIN)/jaga migrate --no-input -v 0
	$(BIN)/jaga collectstatic --no-input -v 0
	exec $(BIN)/jaga serve --bind $(HOST):$(PORT) $(if $(WORKERS),--workers $(WORKERS))

# A streaming replica of the local PostgreSQL on port 5440 (docs/scaling.md); reads go there once
# DATABASE_REPLICA_URL=postgres://postgres@127.0.0.1:5440/<database> is set.
replica:
	$(PYTHON) tools/pg_replica.py start

replica-stop:
	$(PYTHON) tools/pg_replica.py stop

test: $(STAMP)
	$(BIN)/pytest -p xdist -n 2 -m "not heavy" tests

# The long suites (attacks on the public figures, generated input, load): `JAGA_HEAVY_SHORT=1` is
# the short form that CI runs.
heavy: $(STAMP)
	$(BIN)/pytest -p xdist -n 2 -m heavy tests; rc=$$?; [ $$rc -eq 5 ] && echo "no heavy tests" || exit $$rc

lint: $(STAMP)
	$(BIN)/ruff format --check jaga tests bench tools
	$(BIN)/ruff check jaga tests bench tools
	DEBUG=1 $(BIN)/mypy jaga

bench: $(STAMP)
	$(BIN)/python -m bench

messages: $(STAMP)
	for app in jaga/*/; do if [ -d "$$app/templates" ] || ls $$app*.py >/dev/null 2>&1; then \
	  mkdir -p $$app/locale && (cd $$app && ../../$(BIN)/django-admin makemessages -l id --no-obsolete --no-location -v 0 && ../../$(BIN)/django-admin compilemessages -v 0); fi; done

clean:
	rm -rf $(VENV) var/jaga.sqlite3*
