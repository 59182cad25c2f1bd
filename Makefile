# `make test` is the one command that sets up a fresh clone and runs every check.
# `make demo` sets up and runs orcon's main job as far as it is built (see README).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

.PHONY: install test lint demo bench-codes
install: $(BIN)/.installed

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

demo: install
	$(BIN)/orcon codes demo

bench-codes: install
	$(BIN)/python bench/codes.py --out bench/out/codes.json
