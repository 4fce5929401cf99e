# Avatar Studio. `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test test-unit lint bench install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# The sandbox extra (the offline draft provider) for running and testing; production
# installs `pip install .` without it (docs/deploy.md).
$(VENV)/.app-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[sandbox]'
	@touch $@

$(VENV)/.test-installed: pyproject.toml $(VENV)/.app-installed
	$(BIN)/pip install -q -e '.[sandbox,test]'
	@touch $@

install: $(VENV)/.app-installed

run: $(VENV)/.app-installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo ""
	@echo "Avatar Studio is starting on http://127.0.0.1:$(PORT)/  (log in with a login above;"
	@echo "the studio is at /studio/, the review desk at /review/, the admin at /admin/)"
	@echo ""
	PUBLIC_BASE_URL=$${PUBLIC_BASE_URL:-http://127.0.0.1:$(PORT)} \
		$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: $(VENV)/.test-installed
	@scripts/ensure-chromium
	$(BIN)/python -m pytest

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python manage.py check

# `make bench ONLY=lists` runs one benchmark (names in tests/bench/run.py BENCHES).
bench: $(VENV)/.test-installed
	$(BIN)/python tests/bench/run.py $(if $(ONLY),--only $(ONLY))

clean:
	rm -rf $(VENV) .venv-core db.sqlite3* media test-artifacts sandbox-results .sandbox-api-key
