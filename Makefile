# `make test` is the one command that sets up a fresh clone and runs every check.
# `make demo` sets up and runs orcon's main job as far as it is built (see README).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m pip install --quiet --no-deps 'rapidocr-onnxruntime>=1.4,<2'
	touch $@

.PHONY: install browser test lint serve demo bench-deps bench-codes bench-ledger bench-image bench-issue
install: $(BIN)/.installed

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

# Debian's Chromium for the browser tests (they skip, saying so, where it cannot be installed).
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || echo "chromium not installed: browser tests will be skipped"

test: lint browser
	$(BIN)/pytest -q -n 2 --durations=10  # two workers, the slowest ten shown: keep it under 15 minutes

# The main job: orcon serve on a fresh instance home (SQLite and local files).
ORCON_HOME ?= $(CURDIR)/orcon-home
serve: install
	$(BIN)/orcon --home $(ORCON_HOME) serve

demo: install
	$(BIN)/orcon demo

bench-deps: install
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python -m pip install --quiet --no-deps invisible-watermark blind-watermark

bench-codes: install
	$(BIN)/python bench/codes.py --out bench/out/codes.json

bench-ledger: bench-deps
	$(BIN)/python bench/ledger.py --out bench/out/ledger.json

bench-issue: install
	$(BIN)/python bench/issue.py --out bench/out/issue.json

bench-image: bench-deps
	$(BIN)/python bench/image_marks.py --out bench/out/image_marks.json
