# The two commands of the README's quick start: `make run` and `make test`.
# Both create .venv with Python 3.11 and install the project from pyproject.toml.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
EXAMPLE ?= cases/cern-lhc-yoke-steel.yaml

.PHONY: install run test lint bench bench-store bench-serve fuzz interview-measure clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/innoproc advise $(EXAMPLE)

lint: install
	$(BIN)/ruff check engine tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/mypy

test: install lint
	$(BIN)/innoproc kb check
	$(BIN)/innoproc kb test
	$(BIN)/python -m pytest

# The fuzzing suite with a long budget (make test runs it with a bounded one).
fuzz: install
	INNOPROC_FUZZ=long $(BIN)/python -m pytest -q tests/test_fuzz.py

bench: install
	$(BIN)/python benchmarks/bench_engine.py
	$(BIN)/python benchmarks/bench_explain.py
	$(BIN)/python benchmarks/bench_backends.py
	$(BIN)/python benchmarks/bench_report.py
	$(BIN)/python benchmarks/bench_loading.py

# The case library store: synthetic libraries of 1k and 10k cases (SIZES=1000,10000,100000)
SIZES ?= 1000,10000
bench-store: install
	$(BIN)/python benchmarks/bench_store.py --sizes $(SIZES)

bench-serve: install
	$(BIN)/python benchmarks/bench_serve.py

# The interview on every library case: questions asked against keys stated, same final advice.
interview-measure: install
	$(BIN)/python benchmarks/interview_measure.py

clean:
	rm -rf $(VENV) build dist .pytest_cache .ruff_cache
