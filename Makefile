# SMEdash: `make run` serves the dashboard on http://127.0.0.1:8000, `make test` runs every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run setup install assets static messages migrate seed test lint format clean

run: setup
	DEBUG=1 $(MANAGE) runserver $(HOST):$(PORT)

setup: install assets messages migrate seed

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# Front-end files (plotly.js, the Vazirmatn font) from npm, exactly as package-lock.json pins
# them; Django serves them from node_modules (STATICFILES_DIRS), nothing is copied into git.
assets: node_modules/.package-lock.json

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# For production: every static file, hashed and compressed, into staticfiles/.
static: install assets
	$(MANAGE) collectstatic --no-input -v0

# Compiled catalogues (.mo) are build output, not kept in git. msgfmt (GNU gettext) is used
# where installed; otherwise polib compiles the same .po files in pure Python.
messages: install
	@if command -v msgfmt >/dev/null 2>&1; then \
		$(MANAGE) compilemessages --ignore=$(VENV) --ignore=node_modules -v0; \
	else \
		$(BIN)/python -c "import glob, polib; [polib.pofile(p).save_as_mofile(p[:-2] + 'mo') for p in glob.glob('locale/*/LC_MESSAGES/*.po')]"; \
	fi

migrate: install
	$(MANAGE) migrate --no-input -v0

seed: migrate
	$(MANAGE) load_seed

test: install assets messages
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) staticfiles node_modules
