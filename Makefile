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

# Unit tests only (no services, no end-to-end runs): under a minute, for the edit-test loop.
test-fast: install
	$(PY) -m pytest -q -m "not integration and not slow and not postgres and not spark and not es and not model"

lint: install
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/ruff format --check src tests
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
