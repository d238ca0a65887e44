# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Settings: the environment first (SEARCH_INDEX_DIR, SEARCH_BIND, as the app and gunicorn read
# them), then these variables as defaults; `make run PORT=8001 INDEX=big` overrides both.
INDEX ?= $(or $(SEARCH_INDEX_DIR),index)
HOST ?= 127.0.0.1
PORT ?= 8000
ifeq ($(origin HOST)$(origin PORT),filefile)
BIND := $(or $(SEARCH_BIND),$(HOST):$(PORT))
else
BIND := $(HOST):$(PORT)
endif
SHARED ?= ../shared

.PHONY: install install-test install-bench system-deps run index test lint eval bench load clean
.PHONY: cluster cluster-stop bench-cluster

# What serving needs only; the test tools and the baselines' libraries come with `make test`.
$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e .
	touch $@

# The dictionaries' lemma tables, once per machine and dictionary version, in $SEARCH_CACHE_DIR or
# ~/.cache/newsearch (about 85 CPU s, the two languages at once; skipped when built).
install: $(VENV)/.installed
	$(PY) -m search lemma-tables

$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

install-test: $(VENV)/.installed-test

# The baselines' libraries (tantivy, PyStemmer, psycopg): the tests run the bench harnesses too.
$(VENV)/.installed-bench: $(VENV)/.installed-test
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test,bench]'
	touch $@

install-bench: $(VENV)/.installed-bench

# Debian's headless Chromium for the browser test (needs root or sudo; skipped if present),
# and axe-core from npm for its accessibility check (into the git-ignored .venv/node).
AXE ?= $(VENV)/node/node_modules/axe-core/axe.min.js
system-deps:
	@bash deploy/system-deps.sh
	@test -f $(AXE) || { mkdir -p $(VENV)/node && \
	  npm install --silent --no-audit --no-fund --prefix $(VENV)/node axe-core@4.14.1; }

index: install
	@case "$$SEARCH_BACKEND" in sphinxql://*) \
	  echo "SEARCH_BACKEND is a cluster: nothing is indexed into it here"; exit 0;; esac; \
	if [ "$$($(PY) -c 'import sys; from search.ingest.indexer import doc_count; print(doc_count(sys.argv[1]))' $(INDEX))" = 0 ]; then \
	  echo "Index is empty: indexing the bundled sample corpus (samples/)"; \
	  $(PY) -m search reindex samples --index $(INDEX) --progress; \
	fi

run: index
	SEARCH_INDEX_DIR=$(INDEX) SEARCH_BIND=$(BIND) $(VENV)/bin/gunicorn -c gunicorn.conf.py wsgi:app

test: install install-bench system-deps
	$(VENV)/bin/ruff check .
	$(PY) -m pytest

lint: install-test
	$(VENV)/bin/ruff check .

eval: install-bench
	$(PY) bench/relevance.py --shared $(SHARED)

bench: install-bench
	$(PY) bench/speed.py --shared $(SHARED)

# Load test: gunicorn over $(INDEX), 8/32/64 clients for 60 s each, loopback only.
load: index install-test
	$(PY) bench/load.py --index $(INDEX) --clients 8,32,64 --seconds 60

# A local SphinxQL cluster (Debian's sphinxsearch): a head on $(CLUSTER_PORT), 2 shards with a
# mirror each on the next ports, fed with samples/ when empty. Serve from it with
# SEARCH_BACKEND=sphinxql://127.0.0.1:$(CLUSTER_PORT) make run
CLUSTER_DIR ?= cluster-data
CLUSTER_PORT ?= 9306
cluster: install system-deps
	$(PY) -m search.cluster start samples --dir $(CLUSTER_DIR) --port $(CLUSTER_PORT)

cluster-stop: install
	$(PY) -m search.cluster stop --dir $(CLUSTER_DIR)

bench-cluster: install-bench system-deps
	$(PY) bench/cluster.py --shared $(SHARED)

clean:
	rm -rf $(VENV) *.egg-info
