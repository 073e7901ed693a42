# Lighthouse Twin: `make run` starts the demo, `make test` runs the whole suite. `make help` lists all.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PRESET ?= configs/lighthouse_demo.yaml

.DEFAULT_GOAL := help
.PHONY: help run test lint bench fmt clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-8s %s\n", $$1, $$2}'

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[ui]'
	touch $@

$(BIN)/.installed-dev: pyproject.toml $(BIN)/.installed
	$(BIN)/pip install --quiet -e '.[ui,dev]'
	touch $@

run: $(BIN)/.installed ## Create .venv, install, and run the default demo
	$(BIN)/twin run $(if $(wildcard $(PRESET)),$(PRESET),configs/machining_line.yaml)

test: $(BIN)/.installed-dev ## Create .venv with dev extras and run the whole test suite
	$(BIN)/pytest -n 2 --dist loadgroup

lint: $(BIN)/.installed-dev ## ruff check
	$(BIN)/ruff check .

fmt: $(BIN)/.installed-dev ## ruff format and fix
	$(BIN)/ruff check --fix .

bench: $(BIN)/.installed-dev ## Engine benchmark against a minimal SimPy floor
	$(BIN)/python bench/engine_bench.py

clean: ## Remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
