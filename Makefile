# Two commands on a fresh machine: `make run` and `make test`.
# Any Python >= 3.11 on the PATH (newest first); `make PYTHON=/path/to/python3 ...` to choose.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-tools lint typecheck migrate chat locales-extract locales-update locales-check content-check bench clean

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Hanya needs Python 3.11 or newer and found none (tried python3.13, python3.12, python3.11, python3): apt-get install python3, or make PYTHON=/path/to/python3.11"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: $(STAMP)
	$(BIN)/hanya db upgrade

## Serve on 127.0.0.1:8000 with the embedded SQLite database under var/ (no credentials needed).
## `make run PORT=8080` (and HOST=0.0.0.0 to listen beyond this machine).
HOST ?= 127.0.0.1
PORT ?= 8000
run: $(STAMP)
	$(BIN)/hanya serve --host $(HOST) --port $(PORT)

## The whole test suite (SQLite unless HANYA_DATABASE_URL says otherwise), on TEST_WORKERS
## processes (pytest-xdist; each worker has its own database). TEST_WORKERS=0 runs in one.
TEST_WORKERS ?= 2
test: $(STAMP) test-tools
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS)

## Tools the tests drive, from Debian: chromium for the browser tests (never `playwright
## install`), espeak-ng and ffmpeg for the audio tests' synthetic recordings. Installed here
## when missing and we are root, else one line says what to run: without chromium `make test`
## stops there, without the other two the audio tests skip, saying why.
TEST_TOOLS := /usr/bin/chromium:chromium /usr/bin/espeak-ng:espeak-ng /usr/bin/ffmpeg:ffmpeg
test-tools:
	@missing=""; for pair in $(TEST_TOOLS); do test -x "$${pair%%:*}" || missing="$$missing $${pair##*:}"; done; \
	test -z "$$missing" && exit 0; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian's$$missing for the tests"; \
		{ apt-get install -y -qq $$missing >/dev/null 2>&1 || \
		  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; }; } \
		|| echo "could not install$$missing: run 'sudo apt-get install$$missing'"; \
	else echo "some tests need Debian's$$missing: run 'sudo apt-get install$$missing' (audio tests skip)"; fi; \
	test -x /usr/bin/chromium || { echo "the browser tests need Debian's chromium: run 'sudo apt-get install chromium'"; exit 1; }

chat: $(STAMP)
	$(BIN)/hanya chat --channel sms

lint: $(STAMP)
	$(BIN)/ruff check bot handlers webhooks tests tools

typecheck: $(STAMP)
	$(BIN)/mypy bot handlers webhooks tools
	$(BIN)/mypy --strict bot/core

# Translators' workflow (see content/README.md). One gettext domain per babel-<domain>.cfg:
# its strings go to locales/<domain>.pot and locales/<lang>/LC_MESSAGES/<domain>.po.
# `hanya content catalogs` is `pybabel update` that keeps the plural rule of languages Babel
# does not know (kr, tmh); catalogs are compiled in memory, so there is no .mo to build.
DOMAINS := $(patsubst babel-%.cfg,%,$(wildcard babel-*.cfg))
EXTRACT := $(BIN)/pybabel -q extract -k N_ -k Nn_:1,2 -c TRANSLATORS: --no-location --sort-output
POT_CHECK_DIR := /tmp/hanya-locales-check

locales-extract: $(STAMP)
	@for domain in $(DOMAINS); do \
		$(EXTRACT) -F babel-$$domain.cfg -o locales/$$domain.pot . || exit 1; done

locales-update: locales-extract
	$(BIN)/hanya content catalogs

## Fails when a .pot or a .po is not what extract + update would write (as RapidPro's CI).
locales-check: $(STAMP)
	@rm -rf $(POT_CHECK_DIR) && mkdir -p $(POT_CHECK_DIR)
	@for domain in $(DOMAINS); do \
		$(EXTRACT) -F babel-$$domain.cfg -o $(POT_CHECK_DIR)/$$domain.pot . || exit 1; done
	$(BIN)/hanya content catalogs --check --templates $(POT_CHECK_DIR)

## Everything an editor can break: exits non-zero on errors (warnings are listed).
content-check: $(STAMP)
	$(BIN)/hanya content check --quiet

## Benchmarks (issue #8): about 10 minutes; prints a table and writes docs/BENCHMARKS.md.
## Needs wrk (installed from Debian when missing) and PostgreSQL on 127.0.0.1 (else SQLite only).
bench: $(STAMP)
	@command -v wrk >/dev/null 2>&1 || apt-get install -y wrk >/dev/null || \
		{ apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
	test -x $(BIN)/py-spy || $(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench --make

clean:
	rm -rf $(VENV) var/*.db var/*.db-* .pytest_cache

# The dashboard's catalog (domain "dashboard": Python and Jinja2 templates).
locales-dashboard: $(STAMP)
	$(BIN)/pybabel extract -F babel-dashboard.cfg -k N_ -c TRANSLATORS: --no-location \
		--sort-output -o locales/dashboard.pot .
	$(BIN)/pybabel update -D dashboard -i locales/dashboard.pot -d locales -l fr --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel update -D dashboard -i locales/dashboard.pot -d locales -l en --no-fuzzy-matching --ignore-obsolete
