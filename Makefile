# SMEdash: `make run` serves the dashboard on http://127.0.0.1:8000, `make test` runs every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run setup install assets static messages migrate seed test lint format clean \
	serve-prod backup restore bench bench-first-bar faults screenshots

# The worker that runs large imports and draws the pages' charts in the background (manage.py
# db_worker: its queue is in the database, no Redis needed), in a loop that starts it again 2 s
# after it stops on an error (on SQLite it gives up when another process keeps the database locked
# for over 5 s). TERM stops both.
WORKER_LOOP = ( trap 'kill $$w 2>/dev/null; exit 0' TERM; \
	while :; do $(1) $(MANAGE) db_worker --no-reload & w=$$!; wait $$w && exit 0; sleep 2; done )

# The development server, and the worker beside it; Ctrl-C stops both.
run: setup
	$(call WORKER_LOOP,DEBUG=1) & worker=$$!; trap "kill $$worker 2>/dev/null" EXIT INT TERM; \
	  DEBUG=1 $(MANAGE) runserver $(HOST):$(PORT)

setup: install assets messages migrate seed

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# Front-end files (plotly.js, the Vazirmatn font) from npm, exactly as package-lock.json pins
# them; nothing is copied into git. static-build/build.mjs then builds, into static-build/out/
# (git-ignored), a plotly.js of only what the charts use (esbuild, terser) and the font cut by
# script; Django serves those and the rest of the font from node_modules (STATICFILES_DIRS).
assets: node_modules/.package-lock.json static-build/out/.built

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

static-build/out/.built: node_modules/.package-lock.json static-build/build.mjs
	node static-build/build.mjs
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

# Three test processes on two cores: each waits on its Chromium and its live server in turn, so a
# third keeps both cores busy. worksteal: a process that runs out of tests takes half of the longest
# queue, so the browser tests (collected first, in one block) do not end up on one process.
# TEST_WORKERS=0 runs everything in one process.
TEST_WORKERS ?= 3
test: install assets messages
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal

# The browser tests again, keeping screenshots of every page they check (artifacts/screenshots/)
# for people to look at; the plain suite skips them, they cost more than the checks.
screenshots: install assets messages
	SMEDASH_SCREENSHOTS=1 $(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal tests/browser

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Two production app servers (gunicorn) on ports 8001 and 8002, sharing one PostgreSQL database
# and one Redis cache, so that an edit made through one is visible through the other (within a
# second: each server's copies of kept pages check the data version that often).
# Override any of these on the command line or in the environment.
PROD_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/smedash
PROD_REDIS_URL ?= redis://127.0.0.1:6379/0
# The rate-limit counters' own Redis, which never evicts (started below if nothing answers).
PROD_COUNTERS_PORT ?= 6380
PROD_ENV = DEBUG=0 SMEDASH_DEV_SECRET=1 DATABASE_URL=$(PROD_DATABASE_URL) REDIS_URL=$(PROD_REDIS_URL) \
	REDIS_RATELIMIT_URL=redis://127.0.0.1:$(PROD_COUNTERS_PORT)/0

serve-prod: install assets messages
	@db=$$(echo "$(PROD_DATABASE_URL)" | sed 's|.*/||'); \
	  psql "$(PROD_DATABASE_URL)" -c 'SELECT 1' >/dev/null 2>&1 || \
	  psql "$$(echo '$(PROD_DATABASE_URL)' | sed 's|/[^/]*$$|/postgres|')" -q -c "CREATE DATABASE $$db"
	@# The cache's Redis: a memory limit, least recently used entries evicted first.
	redis-cli -u $(PROD_REDIS_URL) CONFIG SET maxmemory 256mb >/dev/null
	redis-cli -u $(PROD_REDIS_URL) CONFIG SET maxmemory-policy allkeys-lru >/dev/null
	@redis-cli -p $(PROD_COUNTERS_PORT) PING >/dev/null 2>&1 || redis-server --port $(PROD_COUNTERS_PORT) \
	  --bind 127.0.0.1 --save '' --appendonly no --maxmemory 32mb --maxmemory-policy noeviction --daemonize yes
	$(PROD_ENV) $(MANAGE) check --deploy --tag caches --fail-level WARNING
	$(PROD_ENV) $(MANAGE) migrate --no-input -v0
	$(PROD_ENV) $(MANAGE) load_seed
	$(PROD_ENV) $(MANAGE) collectstatic --no-input -v0
	@echo "SMEdash on http://127.0.0.1:8001 and http://127.0.0.1:8002, and a worker for imports and drawn charts in the background (Ctrl-C stops all three)"
	$(call WORKER_LOOP,$(PROD_ENV)) & worker=$$!; \
	  $(PROD_ENV) GUNICORN_BIND=127.0.0.1:8001 $(BIN)/gunicorn -c gunicorn.conf.py smedash.wsgi & \
	  pid=$$!; trap "kill $$pid $$worker 2>/dev/null" EXIT INT TERM; \
	  $(PROD_ENV) GUNICORN_BIND=127.0.0.1:8002 $(BIN)/gunicorn -c gunicorn.conf.py smedash.wsgi

# Backups: `make backup` writes var/backup-DATE.json.gz; `make restore FILE=…` loads one into
# an empty, migrated database (add DATABASE_URL=… to either to choose the database).
backup: install
	$(MANAGE) backup_data var/backup-$$(date +%Y%m%d-%H%M%S).json.gz

restore: migrate
	@test -n "$(FILE)" || { echo "usage: make restore FILE=var/backup-….json.gz"; exit 2; }
	$(MANAGE) restore_data $(FILE)

# Speed at seed size and at 300,000 observations, and the fault drills (both need PostgreSQL,
# Redis, wrk and root on this machine kind; see README, "Production and performance").
bench: static bench-first-bar
	$(BIN)/python bench/bench.py

# The first drawn bar against a static Plotly page of the same figure, bytes, Lighthouse and the
# first PNG (bench/first_bar.py; Playwright, Chromium and npx; SQLite, no PostgreSQL needed).
bench-first-bar: static messages
	$(BIN)/python bench/first_bar.py

faults: static
	$(BIN)/python bench/faults.py all

clean:
	rm -rf $(VENV) staticfiles node_modules static-build/out
