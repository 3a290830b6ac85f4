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
# each (report, bench, kill-mid-write, servers); `make test` runs them all. Two workers, one test
# file each (module fixtures are built once); the fuzzing and faker pytest plugins are not
# loaded, as no unit test uses them (2 s of start-up per worker).
FAST_MARKERS := not integration and not slow and not postgres and not spark and not es and not model
test-fast: install
	$(PY) -m pytest -q -n 2 --dist loadfile -p no:schemathesis -p no:faker -m "$(FAST_MARKERS)"

lint: install
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/ruff format --check src tests
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
