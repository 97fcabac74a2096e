# The two commands: `make run` (dashboard on the demo database) and `make test` (everything CI checks).
SHELL := /bin/bash
ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
VENV := $(ROOT)/.venv
PY := $(VENV)/bin/python
PYTHON ?= python3
PORT ?= 8501
export CX_DB_PATH ?= $(ROOT)/data/cx.duckdb
export STREAMLIT_BROWSER_GATHER_USAGE_STATS := false

.PHONY: run test lint demo digest setup setup-dev browser java pdf-tools clean screenshot bench bench-10m bench-digest

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e "$(ROOT)"
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PY) -m pip install --quiet -e "$(ROOT)[dev]"
	@touch $@

setup: $(VENV)/.installed
setup-dev: $(VENV)/.installed-dev java

## run: create the venv, build the demo database if there is none, serve on http://127.0.0.1:$(PORT)
## (Chromium draws the digest's PDF: the Overview's Download PDF button)
run: setup browser
	$(VENV)/bin/cx demo --if-missing
	cd $(ROOT) && $(VENV)/bin/streamlit run app.py \
		--server.address 127.0.0.1 --server.port $(PORT) --server.headless true \
		--browser.gatherUsageStats false --client.disableDataExport true

## demo: rebuild the demo database from scratch
demo: setup
	$(VENV)/bin/cx demo

## digest: the weekly executive digest of the demo (PDF, e-mail, HTML in data/digests/), from a fresh clone
digest: setup browser
	$(VENV)/bin/cx demo --if-missing
	$(VENV)/bin/cx digest --period week

## browser: make sure headless Chromium is available for the browser tests
browser:
	@bash $(ROOT)/scripts/ensure-chromium.sh

## java: Java 17 for the Spark engine and its test tier (Debian's openjdk-17-jre-headless when missing)
java:
	@bash $(ROOT)/scripts/ensure-java.sh

## pdf-tools: pdftotext, which the digest tests read the PDF back with
pdf-tools:
	@bash $(ROOT)/scripts/ensure-poppler.sh

lint: setup-dev
	cd $(ROOT) && $(VENV)/bin/ruff check .
	cd $(ROOT) && $(VENV)/bin/mypy
	cd $(ROOT) && $(VENV)/bin/lint-imports

## test: venv + dev tools + Chromium, then lint, types, import contracts and every test
test: setup-dev browser pdf-tools java lint
	cd $(ROOT) && $(VENV)/bin/python -m pytest

## screenshot: refresh docs/overview.png from a real server on the demo database
screenshot: setup-dev browser
	$(VENV)/bin/cx demo --if-missing
	$(PY) $(ROOT)/scripts/screenshot.py $(ROOT)/docs/overview.png

## bench: speed and memory at 1M tickets against DuckDB baselines -> bench/RESULTS.md (BENCH_ARGS="--tickets N")
bench: setup-dev browser
	$(PY) $(ROOT)/bench/run.py $(BENCH_ARGS)

## bench-10m: the same at 1M and 10M tickets, with the 10M/1M scaling ratio of every measurement
bench-10m: setup-dev browser
	$(PY) $(ROOT)/bench/run.py --tickets 1000000 10000000 $(BENCH_ARGS)

## bench-digest: digest generation time (demo and 1M tickets) and the renderer comparison -> bench/RESULTS-digest.md
bench-digest: setup-dev browser
	$(PY) $(ROOT)/bench/bench_digest.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
