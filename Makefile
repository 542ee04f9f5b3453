# docframe developer commands. `make demo` serves a demo site; `make test` runs every test.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
SITES ?= sites
DEMO_SITE ?= demo
PORT ?= 8000

.PHONY: demo test venv lint typecheck bench clean lock

# The exact, tested dependency set comes from requirements.lock (regenerate it with `make lock`);
# docframe itself is installed on top without resolving anything again.
$(BIN)/docframe: pyproject.toml requirements.lock
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .
	@touch $@

# Re-resolve requirements.lock from pyproject.toml (after changing a dependency or its range).
lock:
	$(PY) -m venv $(VENV)-tools
	$(VENV)-tools/bin/pip install -q 'pip-tools>=7.6,<8'
	$(VENV)-tools/bin/pip-compile -q --extra test --strip-extras --no-emit-index-url --no-emit-find-links \
		--output-file requirements.lock pyproject.toml

venv: $(BIN)/docframe

demo: venv
	@scripts/demo.sh

test: venv
	@scripts/test.sh

lint: venv
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports

typecheck: venv
	$(BIN)/mypy

bench: venv
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) $(VENV)-tools .pytest_cache .ruff_cache .mypy_cache .import_linter_cache
