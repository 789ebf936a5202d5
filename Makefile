# augur — the two commands a newcomer types:
#   make run    run augur (see README)
#   make test   set up everything from nothing and run every test tier
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)

.PHONY: run render test venv tools lint unit e2e crds golden clean

$(STAMP): pyproject.toml
	@echo "==> creating $(VENV) and installing augur with its test extras"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

venv: $(STAMP)

# The real tools the tests need, built from source modules once and cached in ~/.cache/augur.
tools: venv
	$(BIN)/python -m augur.dev tools --build --for-tests

lint: venv
	$(BIN)/ruff check operator tests e2e bench
	$(BIN)/ruff format --check operator tests e2e bench
	$(BIN)/mypy
	$(BIN)/lint-imports

unit: venv
	$(BIN)/pytest tests

# The end-to-end tier runs once it has tests (it needs the control-plane tools).
e2e: venv
	@if compgen -G "e2e/test_*.py" > /dev/null; then $(BIN)/pytest e2e; else echo "e2e: no tests yet"; fi

test: venv lint tools unit e2e

# augur against a local control plane (built once), with the shop example applied.
run: venv
	$(BIN)/augur dev up

render: venv
	$(BIN)/augur render -f examples/shop --out-dir out
	@echo "rendered into ./out — see README for what each folder holds"

crds: venv
	$(BIN)/augur crds --out-dir crds
	$(BIN)/augur crds --out-dir charts/augur/crds

golden: venv
	$(BIN)/pytest tests --update-golden

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
