# Every target sets up what it needs: the Debian packages (as root) and a virtual environment.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
READY := $(VENV)/.ready

.PHONY: test demo bench lint format system clean

# The lint and the type check run first: CI (.ci/run) fails on either as on a failing test.
test: system $(READY)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

# One BLAS thread: the demo's matrices are small, and threads fighting over 2 cores cost more.
demo: system $(READY)
	OPENBLAS_NUM_THREADS=1 $(BIN)/python -m examples.demo

# Timings are single-threaded so that ratios compare the same amount of hardware.
bench: system $(READY) $(VENV)/.bench
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/python -m bench.scalar
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/python -m bench.vector
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/python -m bench.mlp_resnet

# The checks of `make test` without the tests: ruff, then mypy (settings in pyproject.toml).
lint: $(READY)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(READY)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

system:
	@PYTHON=$(PYTHON) sh scripts/system-deps.sh

$(READY): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

$(VENV)/.bench: $(READY)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $@

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis .ruff_cache .mypy_cache *.egg-info
