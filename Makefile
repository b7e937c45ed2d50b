# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Layers carry the date of the last commit, so a rebuild of the same commit is byte-for-byte stable.
export SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 1700000000)

.PHONY: run test build install bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[app,test]'
	touch $(STAMP)

install: $(STAMP)

layers/railway.gpkg: | $(STAMP)
	$(PY) -m atlas build

build: $(STAMP)
	$(PY) -m atlas build

run: $(STAMP) layers/railway.gpkg
	$(VENV)/bin/streamlit run streamlit_app.py --server.port 8501 --server.headless true

test: $(STAMP)
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) -m pip install --quiet -e '.[app,test,derive]'
	$(PY) bench/bench_build.py
	$(PY) bench/bench_geocode.py

clean:
	rm -rf $(VENV) .pytest_cache tests/artifacts
