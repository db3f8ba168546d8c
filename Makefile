# Two commands a newcomer needs: `make run` and `make test`. Everything else is for developers.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
FLASK  := $(BIN)/flask --app wsgi
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test test-fast install translations compile-translations lint bench clean-db help

help:
	@echo "make run           install, migrate, load demo data into an empty database, serve on http://$(HOST):$(PORT)"
	@echo "make test          the whole suite (SQLite, PostgreSQL when it answers, browser when Chromium is installed)"
	@echo "make test-fast     the inner loop: SQLite only, no browser (PostgreSQL and browser tests deselected)"
	@echo "make translations  extract, update and compile the message catalogs"
	@echo "make lint          ruff"
	@echo "make bench         bench/pages.py"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# -q belongs before the subcommand (pybabel's global option); catalogs that do not exist yet are
# created by `make translations`, so a fresh checkout without them still runs. --ignore-dirs:
# by default pybabel skips every directory named "_*", so templates/_macros/ was never extracted.
compile-translations: $(STAMP)
	if ls translations/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then $(BIN)/pybabel -q compile -d translations; fi

translations: $(STAMP)
	$(BIN)/pybabel -q extract -F translations/babel.cfg -k _l -k lazy_gettext -k _n:1,2 --no-location \
	  --ignore-dirs='.* ._ __pycache__' --sort-output --project="Concept Arena" -o translations/messages.pot .
	for lang in da nb sv; do \
	  test -f translations/$$lang/LC_MESSAGES/messages.po || \
	    $(BIN)/pybabel -q init -i translations/messages.pot -d translations -l $$lang || exit 1; \
	done
	$(BIN)/pybabel -q update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel -q compile -d translations

# HOST and PORT reach the app too, so that every emailed link and feed entry points where it serves
# (BASE_URL follows them unless it is set).
run: compile-translations
	HOST=$(HOST) PORT=$(PORT) $(FLASK) db upgrade
	HOST=$(HOST) PORT=$(PORT) $(FLASK) demo load --if-empty
	HOST=$(HOST) PORT=$(PORT) $(FLASK) serve --host $(HOST) --port $(PORT)

test: compile-translations
	$(BIN)/python -m pytest -n 2 -p no:cacheprovider

# Tests marked both_databases run on SQLite here; their PostgreSQL variants (marker `postgres`)
# and the browser tests wait for `make test`. Extra arguments: make test-fast ARGS="tests/concepts -x".
test-fast: compile-translations
	$(BIN)/pytest -n 2 -p no:cacheprovider -m "not postgres and not browser" $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

bench: compile-translations
	$(BIN)/python bench/pages.py

clean-db:
	rm -rf instance/concept_arena.sqlite* instance/index instance/mailbox instance/uploads
