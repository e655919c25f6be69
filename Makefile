# Appl Tracky. `make run` and `make test` work from a fresh clone: they create the virtualenv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi
# The app reads no .env: the runtime install has no python-dotenv, and this keeps the dev venv's (a test
# tool's dependency) from loading the compose .env into `make run`/`make test` too.
export FLASK_SKIP_DOTENV := 1
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint format migrate install install-dev lock bench clean migration-regen deploy checkov checkov-venv

# The locks (requirements.txt: runtime; requirements-dev.txt: tools, layered on it) pin every package with
# its hashes. `make run` installs the runtime lock alone, exactly as docker/app.Dockerfile does; the
# targets that need the tools add the dev lock. Each stamp is redone when its lock changes.
RUNTIME_STAMP := $(VENV)/.runtime-lock-installed
DEV_STAMP := $(VENV)/.dev-lock-installed
PIP_INSTALL := $(BIN)/pip install --quiet --require-hashes

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUNTIME_STAMP): requirements.txt | $(BIN)/python
	$(PIP_INSTALL) -r requirements.txt
	touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt $(RUNTIME_STAMP)
	$(PIP_INSTALL) -r requirements.txt -r requirements-dev.txt
	touch $@

install: $(RUNTIME_STAMP) ## Create the virtualenv and install the runtime lock (requirements.txt)

install-dev: $(DEV_STAMP) ## ... and the development lock (requirements-dev.txt) on top

# Regenerate both locks from the .in files. Pins already in a lock are kept unless the .in files need
# another version; `make lock LOCK_ARGS=--upgrade` moves everything to the newest releases.
LOCK_ARGS ?=
UV_COMPILE := $(BIN)/uv pip compile --quiet --python-version 3.11 --universal --generate-hashes \
	--custom-compile-command "make lock" $(LOCK_ARGS)

lock: $(DEV_STAMP) ## Rewrite requirements.txt and requirements-dev.txt from requirements.in and requirements-dev.in
	$(UV_COMPILE) requirements.in -o requirements.txt
	$(UV_COMPILE) requirements-dev.in -o requirements-dev.txt

migrate: install ## Apply the database migrations and create the global labels
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-labels

run: migrate ## Serve on http://127.0.0.1:5000 (SQLite in instance/ unless DATABASE_URL is set)
	$(BIN)/flask run --host $(HOST) --port $(PORT)

# pytest-xdist workers for `make test` (and so CI); TEST_WORKERS=0 runs in one process. Three on two cores:
# the servers, browsers and PostgreSQL the tests wait on leave a core idle otherwise. Tests marked
# xdist_group (a module that starts servers once for all its tests) stay together on one worker.
TEST_WORKERS ?= 3

test: install-dev ## The whole test suite, on SQLite and PostgreSQL, on TEST_WORKERS processes
	$(BIN)/pytest --numprocesses $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

bench: install-dev ## req/s, p50/p99, SQL per request and ratio to a trivial app (wrk, gunicorn, 2 workers) on SQLite and PostgreSQL; BENCH_ARGS=--duration 30
	$(BIN)/python scripts/bench_rest.py $(BENCH_ARGS)

lint: install-dev ## ruff: lint rules and formatting
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# Rebuild migrations/versions/0001 from the models (the project is pre-release: one initial migration).
migration-regen: install-dev
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

# k8s/ is scanned as rendered by `kubectl kustomize` (the base and the production overlay).
checkov: checkov-venv ## Static security checks of tf/, docker/ and k8s/ (also run by the tests)
	$(CHECKOV_VENV)/bin/checkov -d tf --framework terraform --skip-download --quiet --compact
	$(CHECKOV_VENV)/bin/checkov -d docker --framework dockerfile --skip-download --quiet --compact
	@rendered=$$(mktemp -d); \
	kubectl kustomize k8s/base > $$rendered/base.yaml \
	&& kubectl kustomize k8s/overlays/production > $$rendered/production.yaml \
	&& $(CHECKOV_VENV)/bin/checkov -d $$rendered --framework kubernetes --skip-download --quiet --compact; \
	status=$$?; rm -rf $$rendered; exit $$status

.PHONY: bench-import
bench-import: install-dev ## Time a 10,000-row spreadsheet import (preview, commit, re-import, undo) on SQLite and PostgreSQL
	$(BIN)/python scripts/bench_import.py
