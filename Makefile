# Two commands a newcomer needs: `make run` and `make test`. Everything else is for developers.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
FLASK  := $(BIN)/flask --app wsgi
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test install translations compile-translations lint bench clean-db help

help:
	@echo "make run           install, migrate, load demo data into an empty database, serve on http://$(HOST):$(PORT)"
	@echo "make test          the whole suite (SQLite, PostgreSQL when it answers, browser when Chromium is installed)"
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

compile-translations: $(STAMP)
	$(BIN)/pybabel compile -q -d translations

translations: $(STAMP)
	$(BIN)/pybabel extract -q -F translations/babel.cfg -k _l -k lazy_gettext -k _n:1,2 --no-location \
	  --sort-output --project="Concept Arena" -o translations/messages.pot .
	$(BIN)/pybabel update -q -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -q -d translations

run: compile-translations
	$(FLASK) db upgrade
	$(FLASK) demo load --if-empty
	$(FLASK) serve --host $(HOST) --port $(PORT)

test: compile-translations
	$(BIN)/pytest -n 2 -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check .

bench: compile-translations
	$(BIN)/python bench/pages.py

clean-db:
	rm -rf instance/concept_arena.sqlite* instance/index instance/mailbox instance/uploads
