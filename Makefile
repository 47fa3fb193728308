# Two commands for a fresh machine:  make book  |  make test
# Both create .venv if missing and install the package with its extras. torch==2.13.0 (a CPU
# build) goes in first when no torch is installed, so pip never pulls a multi-GB CUDA build.
# Both also fetch MathJax 3 into book/_static/mathjax (make assets, from the npm registry), so
# the built book typesets its equations offline.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
MATHJAX := book/_static/mathjax/tex-mml-chtml.js
SIMBELIEF_SCALE ?= smoke
export SIMBELIEF_SCALE
export MUJOCO_GL ?= egl

.PHONY: install assets book test lint format exercises clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e ".[panda,book,dev,sweep]"
	touch $(STAMP)

install: $(STAMP)

$(MATHJAX): tools/fetch_mathjax.py
	$(PYTHON) tools/fetch_mathjax.py
	touch $@

assets: $(MATHJAX)

book: install assets
	$(BIN)/jupyter-book build book -W --keep-going
	@echo "book: open book/_build/html/index.html"

test: install assets
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -n 2 --dist loadfile --nbmake tests book solutions

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

exercises: install
	$(BIN)/python -m simbelief_edu.exercises

clean:
	rm -rf book/_build .pytest_cache .ruff_cache
