# The two quickstart commands: `make demo` (main job end to end) and `make test` (whole suite);
# `make test-fast` runs the unit tests only.
# Both create .venv and install what they need, so they work on a fresh machine.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip

.PHONY: install sysdeps demo test test-fast lint bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) install -q -U pip
	# CPU build of torch first: an unpinned torch would pull a multi-GB CUDA build.
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e '.[all]'
	touch $@

sysdeps:
	bash scripts/install-system-deps.sh

demo: install
	$(VENV)/bin/ducky demo

test: install sysdeps
	$(PY) -m pytest

# Unit tests only, for the edit-test loop: under a minute on an idle 2-core machine. Left out
# (by marker, see pyproject.toml): services, the model, and whole-command runs that cost seconds
# each (report, bench, gen, kill-mid-write, servers); `make test` runs them all. Two workers,
# one test file each (module fixtures are built once); each worker costs ~10 s of CPU to start,
# so on a machine already busy `make test-fast FAST_WORKERS=0` (in-process) can finish sooner.
# The fuzzing and faker pytest plugins are not loaded: no unit test uses them (2 s a worker).
FAST_MARKERS := not integration and not slow and not postgres and not spark and not es and not model
FAST_WORKERS ?= 2
test-fast: install
	$(PY) -m pytest -q -n $(FAST_WORKERS) --dist loadfile -p no:schemathesis -p no:faker \
		-m "$(FAST_MARKERS)"

lint: install
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/ruff format --check src tests
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
