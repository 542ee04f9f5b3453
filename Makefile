# docframe developer commands. `make demo` serves a demo site; `make test` runs every test.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
SITES ?= sites
DEMO_SITE ?= demo
PORT ?= 8000

.PHONY: demo test venv lint typecheck bench clean

$(BIN)/docframe: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	@touch $@

venv: $(BIN)/docframe

demo: venv
	@scripts/demo.sh

test: venv
	@scripts/test.sh

lint: venv
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: venv
	$(BIN)/mypy

bench: venv
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
