# Mesh Catalog: two commands for a newcomer, `make quickstart` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
PG_URL ?= postgres://postgres@127.0.0.1:5432/mesh_catalog

.PHONY: install services services-down quickstart demo test test-sqlite test-postgres test-schema lint lint-imports format bench

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev,postgres]"
	touch $@

## Install, migrate, harvest the sample sources and serve on http://127.0.0.1:$(PORT)
## (`make quickstart PORT=8080` for another port)
PORT ?= 8000
quickstart: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py quickstart --port $(PORT)

## Install (Debian packages) and start PostgreSQL and Redis on loopback; build the
## Neo4j and OpenSearch launchers the suite starts itself (services/up.sh)
services:
	bash services/up.sh

services-down:
	bash services/down.sh

## Install and run the whole suite: lint, tests on SQLite, the schema fuzzing (bounded:
## under 4 minutes), then tests on PostgreSQL
test: install services
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports
	$(PY) tests/check_services.py
	$(PY) -m pytest -q
	$(MAKE) test-schema
	DATABASE_URL=$(PG_URL) $(PY) -m pytest -q -m "not browser or sso"

## Fuzz the REST API against its OpenAPI schema (Schemathesis, all checks, bounded:
## SCHEMA_EXAMPLES cases per operation, SCHEMA_SECONDS of fuzzing); fails on any 5xx or
## schema violation. The defaults keep the whole target (sample catalog, server, fuzzing)
## under 4 minutes on a 2-core machine
SCHEMA_EXAMPLES ?= 8
SCHEMA_SECONDS ?= 120
test-schema: install
	$(PY) tests/schema_fuzz.py --max-examples $(SCHEMA_EXAMPLES) --max-time $(SCHEMA_SECONDS)

test-sqlite: install
	$(PY) -m pytest -q

test-postgres: install
	DATABASE_URL=$(PG_URL) $(PY) -m pytest -q -m "not browser or sso"

lint: install
	$(PY) -m ruff check . && $(PY) -m ruff format --check . && $(VENV)/bin/lint-imports

## The import contracts (.importlinter): apps layered products > harvesters > lineage >
## catalog, and no import cycle between modules
lint-imports: install
	$(VENV)/bin/lint-imports

format: install
	$(PY) -m ruff format . && $(PY) -m ruff check --fix .

## The benchmarks (minutes; see benchmarks/README.md for sizes and options)
bench: install
	$(PY) benchmarks/bench_harvest.py
	$(PY) benchmarks/bench_impact.py --reuse-database
	$(PY) benchmarks/bench_impact.py --graph-nodes 100000 --neo4j
	$(PY) benchmarks/gen_catalog.py 100000 && $(PY) benchmarks/bench_search.py 100000 --rebuild --backends sqlite,opensearch
	$(PY) benchmarks/bench_openlineage.py
	$(PY) benchmarks/bench_pages.py
	$(PY) benchmarks/bench_auth.py
	$(PY) benchmarks/bench_access.py
