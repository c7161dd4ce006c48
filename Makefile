# The two commands of the README, and the benchmarks.
#   make run    create .venv if needed, install, harvest the demo sources, serve
#   make test   install what the tests need, run the whole suite
#   make bench  benchmarks (SIZE=10000 by default; SIZE=100000 works)

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SIZE ?= 10000
PYTEST_ARGS ?=

.PHONY: run test bench install install-test clean messages browser-deps

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

run: install
	$(BIN)/catalogue demo
	$(BIN)/catalogue serve

test: install-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Extract the interface's messages from site/templates and merge them into
# each language's catalogue (then translate the new entries).
messages: install-test
	$(BIN)/pybabel extract -F catalogue/locale/babel.cfg -o catalogue/locale/messages.pot --no-location \
		--sort-output --omit-header --project "Good Practice Catalogue" site/templates
	$(BIN)/pybabel update -i catalogue/locale/messages.pot -d catalogue/locale -D messages --ignore-obsolete

# Debian's Chromium (apt-get, as root) and axe-core (npm) for the browser
# tests; the tests install them on demand too.
browser-deps: install-test
	$(BIN)/python tests/browser/setup_deps.py

bench: install-test
	$(BIN)/python -m benchmarks --size $(SIZE)

clean:
	rm -rf $(VENV) data build dist .pytest_cache .hypothesis
