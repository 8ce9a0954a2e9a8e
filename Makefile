# mpsearch: `make serve` and `make test` work from a fresh clone (they create .venv).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export MPSEARCH_HOME ?= $(CURDIR)/var
SAMPLE_LISTINGS := tests/data/catalog/listings.jsonl
SAMPLE_BRANDS := tests/data/catalog/brands.jsonl

.PHONY: install serve index test test-fast lint typecheck format clean browser bench wrk \
	cluster-deps cluster

install: $(STAMP)

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) on PATH"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Build and publish an index of the bundled sample catalog unless one is published.
index: $(STAMP)
	@if [ ! -f "$(MPSEARCH_HOME)/current" ]; then \
		$(BIN)/mpsearch index build --listings $(SAMPLE_LISTINGS) --brands $(SAMPLE_BRANDS) && \
		$(BIN)/mpsearch index publish --latest; \
	fi

serve: index
	$(BIN)/mpsearch serve --host 127.0.0.1 --port 8000

CODE := indexer search devcluster tools tests benchmarks

lint: $(STAMP)
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)

typecheck: $(STAMP)
	$(BIN)/mypy

# apt-get install, as root or through sudo: a recipe appends the packages.
APT_INSTALL = sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	$$sudo apt-get update -qq && \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq

# The browser test drives Debian's headless Chromium with CJK fonts; apt-get them if missing.
CHROMIUM := /usr/bin/chromium
BROWSER_PKGS := chromium fonts-noto-cjk
browser:
	@missing=""; for p in $(BROWSER_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	[ -x $(CHROMIUM) ] || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing with apt-get"; \
		$(APT_INSTALL) $$missing >/dev/null; \
	fi

# Several machines on one: the tests start their own PostgreSQL (initdb as the postgres
# user when run as root) and haproxy from Debian's packages; apt-get them if missing.
CLUSTER_PKGS := postgresql haproxy
cluster-deps:
	@missing=""; for p in $(CLUSTER_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || missing="$$missing haproxy"; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing with apt-get"; \
		$(APT_INSTALL) $$missing >/dev/null; \
	fi

# Two pytest workers (pytest-xdist), each given a whole test file at a time (module
# fixtures are built once): the end-to-end tests wait on servers and subprocesses, so one
# process keeps about one core of two busy. The schemathesis fuzzing runs on its own
# afterwards: its operations share one test id, which a worker would run only once.
PYTEST_WORKERS ?= 2
FUZZ := tests/test_fuzz_api.py
test: lint typecheck browser cluster-deps wrk
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) --dist loadfile --ignore $(FUZZ)
	$(BIN)/pytest -q $(FUZZ)

# The edit-test loop: everything but the tests marked slow (crash trials, browser, real
# servers under load, fuzzing, benchmark smoke): about 2½ minutes on two cores.
test-fast: lint typecheck
	$(BIN)/pytest -q -m "not slow" -n $(PYTEST_WORKERS) --dist loadfile

# PostgreSQL, moto's S3 server, three replicas of the sample catalog and haproxy in front,
# on this machine (Ctrl-C stops them all): see README, "Several machines".
cluster: $(STAMP) cluster-deps
	$(BIN)/python -m devcluster

format: $(STAMP)
	$(BIN)/ruff format $(CODE)
	$(BIN)/ruff check --fix $(CODE)

# Performance benchmarks (not part of `make test`): see BENCHMARKS.md. Heavy: run alone.
# bench_http.py drives the load with Debian's wrk (its asyncio fallback client is itself
# CPU-bound and caps every figure): apt-get it if missing (`make test` too: its smoke test
# runs bench_http.py).
BENCH_SIZES ?= 100k,1m
wrk:
	@command -v wrk >/dev/null || { \
		echo "installing wrk with apt-get"; \
		$(APT_INSTALL) wrk >/dev/null; \
	}

bench: $(STAMP) wrk
	$(BIN)/python benchmarks/bench_build.py --sizes $(BENCH_SIZES)
	for n in $$(echo $(BENCH_SIZES) | tr , ' '); do \
		$(BIN)/python benchmarks/bench_query.py --size $$n && \
		$(BIN)/python benchmarks/leader_cost.py --size $$n && \
		$(BIN)/python benchmarks/bench_http.py --size $$n || exit 1; \
	done
	$(BIN)/python benchmarks/http_parts.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
