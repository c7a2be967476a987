# The README's two commands: `make run` and `make test`. Both create .venv and install into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# apt-get needs root: sudo when not already root.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint bench install install-test clean screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	@# The console's browser tests drive Debian's chromium (never `playwright install`, which downloads).
	@test -x /usr/bin/chromium || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; }

## Install and run Tanggap on SQLite with demo data: the console at http://127.0.0.1:$(PORT)/, the API at /docs
run: install
	$(BIN)/tanggap serve --demo --port $(PORT)

lint: install-test
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy

## Install what the tests need, check style and types, and run every test (SQLite and PostgreSQL)
test: lint
	$(BIN)/pytest -q

## Screenshots of every console page (Indonesian, 1366x768) into docs/screenshots/ (chromium, PostgreSQL)
screenshots: install-test
	TANGGAP_SCREENSHOTS=docs/screenshots $(BIN)/pytest -q -p no:randomly \
		"tests/console/test_browser.py::test_no_serious_accessibility_violations_and_screenshots_of_every_page[postgresql]" \
		tests/console/test_browser_supervisor.py::test_supervisor_pages_accessible_and_operators_refused

## Benchmarks (PostgreSQL at 127.0.0.1:5432); figures go to bench/results/
bench: install-test
	$(BIN)/python -m bench.intake

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache tanggap.db*
