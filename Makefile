# `make run` and `make test` each set up .venv first; the stamp files make a second run install nothing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export TORCHLAB_DATA ?= $(if $(wildcard ../shared/data),$(abspath ../shared/data),./data)

.PHONY: run test test-fast lint format bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime-installed: requirements.txt | $(PY)
	$(PY) -m pip install -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install -r requirements-dev.txt
	touch $(VENV)/.runtime-installed $@

run: $(VENV)/.runtime-installed
	$(PY) -m streamlit run app.py

# The fast tier first (no processes started, no real training: a broken import or a broken
# page fails within a couple of minutes), then the slow tier (workers, Ray, kernels, Chromium).
test: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest -m "not slow"
	$(PY) -m pytest -m slow

test-fast: $(VENV)/.dev-installed
	$(PY) -m pytest -m "not slow"

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
