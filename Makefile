# The two commands a new user needs: `make run` and `make test` (both install first).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium
export PATH := $(CURDIR)/$(BIN):$(PATH)
export DVC_NO_ANALYTICS := 1
export MLFLOW_DISABLE_TELEMETRY := true
export DAGSTER_HOME := $(CURDIR)/.dagster
export NUMBA_CACHE_DIR := $(CURDIR)/.cache/numba
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: install run test lint ui mlflow-ui repro bench clean

install: $(STAMP) $(CHROMIUM)

# The browser tests drive Debian's chromium through Python playwright; nothing is downloaded at
# test time. CI runs as root and installs it here; other users: sudo apt-get install chromium
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; \
	else \
		echo "make install: $(CHROMIUM) is missing and the browser tests need it: sudo apt-get install chromium" >&2; \
	fi

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

## run: install, then the main Dagster job on the embedded corpus (raw videos -> shards -> registered models)
run: install
	$(BIN)/lipsync pipeline
	@# record what the Dagster run produced in dvc.lock, so `dvc status` / `dvc repro` agree with it
	$(BIN)/dvc commit --force --quiet
	$(BIN)/dvc status
	$(BIN)/lipsync report
	@echo "Results: data/shards/manifest.json (shards), data/*/manifest.parquet (per stage), data/models/*/result.json (registered models), mlruns/ (make mlflow-ui), Dagster home .dagster/ (make ui)"

## test: install, lint (style, format, layers), then the whole test suite (everything that needs no GPU, the browser check included)
test: lint
	$(BIN)/pytest

## lint: ruff's checks and format, and the import layers (import-linter contracts in pyproject.toml)
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

## ui: the Dagster UI on http://127.0.0.1:3000 with the project's instance (Ctrl-C stops it)
ui: install
	$(BIN)/python -m pipelines.ui

## mlflow-ui: the MLflow UI on http://127.0.0.1:5000 over mlruns/ (runs, models, registry; Ctrl-C stops it)
mlflow-ui: install
	@echo "Runs: http://127.0.0.1:5000/#/experiments?workflowType=machine_learning (pick 'Model training' once in the sidebar: MLflow 3.17 opens experiments on GenAI pages otherwise)"
	$(BIN)/mlflow ui --backend-store-uri sqlite:///$(CURDIR)/mlruns/mlflow.db --default-artifact-root $(CURDIR)/mlruns/artifacts --host 127.0.0.1 --port 5000

## repro: the same pipeline through DVC
repro: install
	$(BIN)/dvc repro

## bench: every benchmark, then the README figures
bench: install
	$(BIN)/lipsync bench mel
	$(BIN)/lipsync bench faces
	$(BIN)/lipsync bench shards
	$(BIN)/lipsync bench models
	$(BIN)/lipsync bench evaluation
	$(BIN)/lipsync bench inference
	$(BIN)/lipsync bench lipsync
	$(BIN)/lipsync bench mouth
	$(BIN)/lipsync bench report

clean:
	rm -rf data .dagster logs .cache
