# Two commands do all the set-up themselves on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

REPLAY := $(VENV)-replay/bin/python

.PHONY: demo test lint goldens clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/tjcrawl demo --db archive.db

# pywb replays WARC exports in the tests; its pins (pyOpenSSL, werkzeug, redis) and gevent
# patching would disturb Scrapy, so it gets an environment of its own.
$(REPLAY):
	$(PYTHON) -m venv $(VENV)-replay
	$(VENV)-replay/bin/python -m pip install --quiet pywb

test: $(STAMP) $(REPLAY)
	bash scripts/system-deps.sh
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check tjcrawl tests bench

goldens: $(STAMP)
	$(BIN)/tjcrawl goldens

clean:
	rm -rf $(VENV) $(VENV)-replay archive.db archive.db-wal archive.db-shm .pytest_cache
