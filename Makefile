# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck migrate chat locales-extract locales-update locales-check clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON)"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: $(STAMP)
	$(BIN)/hanya db upgrade

## Serve on 127.0.0.1:8000 with the embedded SQLite database under var/ (no credentials needed).
run: $(STAMP)
	$(BIN)/hanya serve --host 127.0.0.1 --port 8000

## The whole test suite (SQLite unless HANYA_DATABASE_URL says otherwise).
test: $(STAMP)
	$(BIN)/python -m pytest -q

chat: $(STAMP)
	$(BIN)/hanya chat --channel sms

lint: $(STAMP)
	$(BIN)/ruff check bot handlers webhooks tests

typecheck: $(STAMP)
	$(BIN)/mypy bot handlers webhooks

# Translators' workflow (see content/README.md).
locales-extract: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k Nn_:1,2 -c TRANSLATORS: --no-location \
		--sort-output -o locales/messages.pot .

locales-update: locales-extract
	$(BIN)/pybabel update -i locales/messages.pot -d locales --no-fuzzy-matching --ignore-obsolete

locales-check: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k Nn_:1,2 -c TRANSLATORS: --no-location \
		--sort-output -o /tmp/hanya-check.pot . >/dev/null
	$(BIN)/pybabel update -i /tmp/hanya-check.pot -d locales --check --no-fuzzy-matching \
		--ignore-obsolete

clean:
	rm -rf $(VENV) var/*.db var/*.db-* .pytest_cache
