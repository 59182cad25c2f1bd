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

.PHONY: install test lint demo bench-deps bench-codes bench-ledger bench-image
install: $(BIN)/.installed

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

demo: install
	$(BIN)/orcon codes demo

bench-deps: install
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python -m pip install --quiet --no-deps invisible-watermark blind-watermark

bench-codes: install
	$(BIN)/python bench/codes.py --out bench/out/codes.json

bench-ledger: bench-deps
	$(BIN)/python bench/ledger.py --out bench/out/ledger.json

bench-image: bench-deps
	$(BIN)/python bench/image_marks.py --out bench/out/image_marks.json
