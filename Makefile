# vpbridge: `make demo` and `make test` each set everything up first (idempotent).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
export EGL_PLATFORM ?= surfaceless

.PHONY: setup demo test lint typecheck pytest bench clean

setup:
	@bash scripts/setup.sh

demo: setup
	$(VENV)/bin/vpbridge demo --out out

lint: setup
	$(VENV)/bin/ruff check bridge xr tests bench docs/examples engine_plugin
	$(VENV)/bin/ruff format --check bridge xr tests bench docs/examples engine_plugin

typecheck: setup
	$(VENV)/bin/mypy

pytest: setup
	$(PY) -m pytest -q

test: setup lint typecheck pytest

# Every benchmark prints a table and writes JSON under bench/results/ or out/ (figures as ratios to
# same-run baselines; see docs/performance.md). BENCH_ARGS=--quick for a smoke run where supported.
bench: setup
	$(PY) bench/stream.py $(BENCH_ARGS)
	$(PY) bench/render.py
	$(PY) bench/world.py $(BENCH_ARGS)
	$(PY) bench/motion.py
	$(PY) bench/studio.py $(BENCH_ARGS)
	$(PY) bench/clients.py

clean:
	rm -rf out build .pytest_cache .mypy_cache .ruff_cache
