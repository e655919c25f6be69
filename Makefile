# Appl Tracky. `make run` and `make test` work from a fresh clone: they create the virtualenv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint format migrate install bench clean migration-regen deploy checkov checkov-venv

$(BIN)/activate: requirements.in requirements-dev.in constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.in -r requirements-dev.in -c constraints.txt
	touch $(BIN)/activate

install: $(BIN)/activate ## Create the virtualenv and install the pinned dependencies

migrate: install ## Apply the database migrations and create the global labels
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-labels

run: migrate ## Serve on http://127.0.0.1:5000 (SQLite in instance/ unless DATABASE_URL is set)
	$(BIN)/flask run --host $(HOST) --port $(PORT)

test: install ## The whole test suite, on SQLite and PostgreSQL
	$(BIN)/pytest $(PYTEST_ARGS)

bench: install ## req/s, p50/p99, SQL per request and ratio to a trivial app (wrk, gunicorn, 2 workers) on SQLite and PostgreSQL; BENCH_ARGS=--duration 30
	$(BIN)/python scripts/bench_rest.py $(BENCH_ARGS)

lint: install ## ruff
	$(BIN)/ruff check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format app tests

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# Rebuild migrations/versions/0001 from the models (the project is pre-release: one initial migration).
migration-regen: install
	@tmp=$$(mktemp -d); mv migrations/versions/0002_global_labels.py $$tmp/; \
	rm -f migrations/versions/0001_*.py; \
	DATABASE_URL=sqlite:///$$tmp/regen.db $(BIN)/flask db migrate -m "initial schema" --rev-id 0001 >/dev/null 2>&1; \
	status=$$?; mv $$tmp/0002_global_labels.py migrations/versions/; rm -rf $$tmp; exit $$status

# --- Deployment (README "Deploying") ---------------------------------------------------------------
DRY_RUN ?= 0
CHECKOV_VENV ?= .venv-checkov

deploy: ## Build, push, migrate and roll out to AWS; `make deploy DRY_RUN=1` only prints the commands
	DRY_RUN=$(DRY_RUN) scripts/deploy.sh

# checkov pins clash with ours, so it gets a virtualenv of its own.
$(CHECKOV_VENV)/bin/checkov: requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet -r requirements-checkov.txt
	touch $@

checkov-venv: $(CHECKOV_VENV)/bin/checkov

checkov: checkov-venv ## Static security checks of tf/ and docker/ (also run by the tests)
	$(CHECKOV_VENV)/bin/checkov -d tf --framework terraform --skip-download --quiet --compact
	$(CHECKOV_VENV)/bin/checkov -d docker --framework dockerfile --skip-download --quiet --compact

.PHONY: bench-import
bench-import: install ## Time a 10,000-row spreadsheet import (preview, commit, re-import, undo) on SQLite and PostgreSQL
	$(BIN)/python scripts/bench_import.py
