# gazekit: every target sets itself up; a fresh machine needs only python3 (>= 3.10) and make.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
# the exact versions, for Linux x86_64 and Python 3.11 (made by pip-tools from pyproject.toml: `make lock` refreshes it)
LOCK := requirements.lock
# the stamp is named by the content of pyproject.toml and the lock (nbdev-export rewrites the file, so its time says nothing)
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml $(wildcard $(LOCK)) | cksum | cut -d' ' -f1)
export MPLBACKEND ?= Agg

.PHONY: demo test install lock export check-sync nbtest pytest bench paper-smoke gpu-data gpu-check quick-grid

$(STAMP):
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip 2>&1 | grep -v "is ignored" || true
	@if [ "$$($(PY) -c 'import platform, sys; print(platform.system(), platform.machine(), *sys.version_info[:2])')" = "Linux x86_64 3 11" ]; then \
		echo "installing gazekit's dependencies into $(VENV)/ from $(LOCK) (a few minutes the first time; quiet unless something fails) ..."; \
		$(PY) -m pip install --quiet -r $(LOCK) 2>&1 | grep -v -e "is ignored" -e "^ *$$" ; test $${PIPESTATUS[0]} -eq 0; \
	else \
		echo "$(LOCK) is for Linux x86_64 and Python 3.11: installing the newest versions pyproject.toml allows instead (records will say which) ..."; \
		$(PY) -m pip install --quiet -e ".[dev]" 2>&1 | grep -v -e "is ignored" -e "^ *$$" ; test $${PIPESTATUS[0]} -eq 0; \
	fi
	@$(PY) -m pip install --quiet --no-deps -e ".[dev]" 2>&1 | grep -v -e "is ignored" -e "^ *$$" | \
		awk '/^ *!!$$/ {box = !box; next} !box && !/BuildBackendWarning|with strategy, WheelFile/' ; test $${PIPESTATUS[0]} -eq 0
	@echo "installed: $$($(PY) -c 'import gazekit, torch; print("gazekit", gazekit.__version__, "with torch", torch.__version__)')"
	@rm -f $(VENV)/.installed-*; touch $(STAMP)

install: $(STAMP)

## Refresh the lock from pyproject.toml (pip-tools): after changing a dependency; then commit requirements.lock
lock:
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet "pip-tools>=7.4" 2>&1 | grep -v "is ignored" || true
	@# pip's own configured constraint (e.g. a machine's cap on torch) binds the lock too, or the lock would not install there
	$(BIN)/pip-compile --quiet --extra dev --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links \
		$$($(PY) -m pip config list 2>/dev/null | sed -n "s/^global.constraint='\(.*\)'$$/--constraint \1/p") --output-file $(LOCK) pyproject.toml

## The main job: explore gaze on the embedded synthetic dataset, figures into reports/demo/
demo: $(STAMP)
	$(BIN)/gazekit demo --out reports/demo

## All tests: notebooks and package in sync, notebooks clean, notebook tests, pytest
test: $(STAMP) check-sync nbtest pytest

check-sync: $(STAMP)
	@$(PY) tools/check_sync.py

nbtest: $(STAMP)
	GAZEKIT_FAST=1 $(BIN)/nbdev-test --n-workers 2 --timing   # the tutorials in their fast mode (gazekit.teach.fast_mode)

pytest: $(STAMP)
	$(PY) -m pytest -q -ra -n 2 --dist loadgroup --durations=12 tests   # two processes (pytest-xdist), one thread each (tests/conftest.py); the slowest tests listed

## Benchmarks, side by side in one run each (the heatmap, CRF and explorer ones need the real data root, GAZEKIT_DATA, and say so without it)
bench: $(STAMP)
	$(PY) benchmarks/bench_heatmap.py
	$(PY) benchmarks/bench_consistency.py
	$(PY) benchmarks/bench_darm.py
	$(PY) benchmarks/bench_fgi_head.py
	$(PY) benchmarks/bench_crf.py
	$(PY) benchmarks/bench_pipeline.py
	$(PY) benchmarks/bench_explorer.py

## The compact copy of the real data the GPU check carries (.devdata/, ignored; from GAZEKIT_DATA or ../shared/data)
gpu-data: $(STAMP)
	$(PY) benchmarks/gpu_check.py --prepare

## On a machine with an NVIDIA GPU: every method's paper-profile step (fp32/TF32, bf16), one complete run; reports/benchmarks/gpu.json
gpu-check:
	PYTHONPATH=. $(if $(wildcard $(PY)),$(PY),python3) benchmarks/gpu_check.py

## Every method once in the paper profile's shape (full width, 224², its batch), a few steps on the CPU: time and peak memory
paper-smoke: $(STAMP)
	$(PY) benchmarks/paper_shape_smoke.py

## The quick grid (issue 23) in the tree of records this machine adds to (reports/quick, or its class's reports/quick-NAME): what is missing, one run at a time (hours; resumable); `tools/quick_grid.sh --list` shows it
quick-grid: $(STAMP)
	tools/quick_grid.sh

## Developer loop: export the package and clean the notebooks, regenerate README.md
export: $(STAMP)
	$(BIN)/nbdev-export
	$(BIN)/nbdev-clean
	$(PY) tools/make_readme.py
