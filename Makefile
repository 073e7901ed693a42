# Lighthouse Twin: `make run` starts the demo, `make test` runs the whole suite. `make help` lists all.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PRESET ?= configs/lighthouse_demo.yaml
PORT   ?= 8501
APP    := $(BIN)/python -m ui.serve --server.port $(PORT) --browser.gatherUsageStats false \
          --server.maxUploadSize 1

.DEFAULT_GOAL := help
.PHONY: help bytecode kernels run app cli-demo screenshots docs-figures test lint bench fmt clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-13s %s\n", $$1, $$2}'

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[ui]'
	touch $@

$(BIN)/.installed-dev: pyproject.toml $(BIN)/.installed
	$(BIN)/pip install --quiet -e '.[ui,dev]'
	touch $@

# An editable install leaves the package's bytecode to its first import, which a host with
# PYTHONDONTWRITEBYTECODE set never writes: every process would compile the sources again (~0.7 s
# of each CLI start). compileall writes what is stale and skips the rest (~0.1 s).
bytecode: $(BIN)/.installed
	@$(BIN)/python -m compileall -q twin ui

# The fast engine's kernels compiled ahead of time (twin/engine/fast_aot.py), so a process runs them
# without importing numba (~0.35 s of each): ~50 s once per change of the kernels' sources, nothing
# when up to date. Without a C compiler it says so and the engine runs numba's JIT kernels.
kernels: $(BIN)/.installed ## Compile the fast engine's kernels ahead of time (make test and bench do)
	@$(BIN)/python -m twin.engine.fast_aot || true

run: $(BIN)/.installed bytecode ## Create .venv, install, start the app on the demo (http://localhost:8501)
	$(APP) --server.headless true -- $(PRESET)

app: $(BIN)/.installed bytecode ## Like run, and open a browser tab on it
	$(APP) --server.headless false -- $(PRESET)

cli-demo: $(BIN)/.installed bytecode ## The demo comparison in the terminal (twin compare)
	$(BIN)/twin compare $(PRESET)

screenshots: $(BIN)/.installed-dev bytecode ## Refresh docs/screenshots (needs /usr/bin/chromium)
	$(BIN)/python -m ui.screenshots

docs-figures: $(BIN)/.installed bytecode ## Regenerate the figures README.md and docs/*.md quote (--check: list stale)
	$(BIN)/python docs/figures.py

test: $(BIN)/.installed-dev bytecode kernels ## Create .venv with dev extras and run the whole test suite
	$(BIN)/pytest -n 2 --dist loadgroup

lint: $(BIN)/.installed-dev ## ruff check and mypy (types of twin/)
	$(BIN)/ruff check .
	$(BIN)/mypy

fmt: $(BIN)/.installed-dev ## ruff format and fix
	$(BIN)/ruff check --fix .

bench: $(BIN)/.installed-dev bytecode kernels ## Engine benchmarks: SimPy floor, then fast vs SimPy engine
	$(BIN)/python bench/engine_bench.py
	$(BIN)/python bench/fast_bench.py

clean: ## Remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
