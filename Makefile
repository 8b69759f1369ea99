# Yangguang (阳光) — the two commands a newcomer needs are `make run` and `make test`.
#
# Both create .venv with the machine's Python (3.11+), install the package and its
# lock into it when the lock (or pyproject.toml) changed, and prepare the database.
# `make run` installs only what the platform needs (requirements.lock); `make test`,
# `make lint` and `make setup` add the test tools (requirements-dev.lock); only
# `make bench` adds the benchmark tools (requirements-bench.lock). Everything they
# download comes from PyPI.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
YG := $(BIN)/yangguang
STAMP := $(VENV)/.yangguang-installed
PO := yangguang/locale/en/LC_MESSAGES/django.po
MO := $(PO:.po=.mo)

HOST ?= 127.0.0.1
PORT ?= 8000
# `make test` runs the suite on PostgreSQL too when a server answers at this URL.
PG_DEFAULT_URL := postgres://postgres@127.0.0.1:5432/yangguang
PYTEST_ARGS ?=
BENCH_ARGS ?=

.PHONY: run test test-sqlite test-postgres install setup setup-bench lock migrate messages lint bench clean

# The server and a background-job worker (imports, the daily jobs) side by side, each
# in a process group of its own (set -m), so that Ctrl-C or a SIGTERM to make stops
# both, the server's autoreloader child included; the worker first finishes the job it
# is running (a second Ctrl-C stops it at once: the job is rolled back, open to retry).
run: SHELL := /bin/bash
run: install migrate
	$(YG) plans load
	$(YG) demo --if-empty
	@echo "Yangguang: http://$(HOST):$(PORT)/  (Ctrl-C stops the server and the worker)"
	@set -m; \
	$(YG) worker & worker=$$!; \
	$(YG) runserver $(HOST):$(PORT) & server=$$!; \
	set +m; \
	stop() { kill -TERM -- -$$server -$$worker 2>/dev/null; }; \
	trap stop INT TERM; \
	wait $$server; status=$$?; stop; \
	while kill -0 $$worker 2>/dev/null; do wait $$worker; done; \
	exit $$status

test: test-sqlite test-postgres

# `DATABASE_URL=` selects the default SQLite database (pytest-django runs the tests
# on an in-memory copy per worker, built by the migrations).
test-sqlite: setup messages
	@echo "=== tests on SQLite ==="
	DATABASE_URL= $(BIN)/pytest -n auto $(PYTEST_ARGS)

# The browser tests (yangguang/tests_e2e: pages in Chromium, the axe audits, the
# authorisation walk) run once, in test-sqlite, on the database `make run` serves: they
# drive pages whose queries the suite's own view and API tests already run on both
# databases, and running them twice took CI past its 20 minutes. So do the DuckDB =
# Spark agreement tests (marker spark): the two engines compare on one snapshot or
# list, whichever database it came from.
test-postgres: setup messages
	@url="$${TEST_DATABASE_URL:-$${DATABASE_URL:-$(PG_DEFAULT_URL)}}"; \
	case "$$url" in postgres*) ;; *) url="$(PG_DEFAULT_URL)" ;; esac; \
	shown="$$(echo "$$url" | sed -E 's#//([^:@/]*):[^@/]*@#//\1:***@#')"; \
	if $(PY) -c 'import sys, psycopg; psycopg.connect(sys.argv[1], dbname="postgres", connect_timeout=3).close()' "$$url" 2>/dev/null; then \
		echo "=== tests on PostgreSQL ($$shown) ==="; \
		DATABASE_URL="$$url" $(BIN)/pytest -n auto --ignore=yangguang/tests_e2e -m "not spark" $(PYTEST_ARGS); \
	elif [ "$${REQUIRE_POSTGRES:-0}" = 1 ]; then \
		echo "ERROR: no PostgreSQL server at $$shown, and REQUIRE_POSTGRES=1" >&2; exit 1; \
	else \
		echo "=== PostgreSQL tests SKIPPED: no server at $$shown (set TEST_DATABASE_URL, or REQUIRE_POSTGRES=1 to fail instead) ==="; \
	fi

# Install a lock only when it or pyproject.toml changed since its last install: each
# lock's stamp holds their checksum. $(call install_lock,LOCK,STAMP[,MORE PIP ARGUMENTS])
define install_lock
	@sum="$$(cat $(1) pyproject.toml | $(PY) -c 'import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')"; \
	if [ "$$(cat $(2) 2>/dev/null)" != "$$sum" ]; then \
		echo "Installing $(1) into $(VENV) ..."; \
		$(PY) -m pip install --quiet --disable-pip-version-check -r $(1) $(3) && \
		echo "$$sum" > $(2); \
	fi
endef

# The platform alone: what `make run` needs.
install:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Yangguang needs Python 3.11 or newer; set PYTHON=/path/to/python3.11" >&2; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(call install_lock,requirements.lock,$(STAMP),-e .)

# The platform and the test tools (pytest, Playwright, schemathesis, ruff) and PySpark
# (the Spark engine's tests).
setup: install
	$(call install_lock,requirements-dev.lock,$(VENV)/.yangguang-dev-installed)

# ... and the benchmark tools (django-import-export, locust, gunicorn).
setup-bench: setup
	$(call install_lock,requirements-bench.lock,$(VENV)/.yangguang-bench-installed)

# Regenerates the three locks after a change to pyproject.toml's dependencies (needs uv:
# `.venv/bin/pip install uv`). The bench lock resolves everything; the other two are
# constrained by it, so a package has the same version in all three.
UV_COMPILE := $(BIN)/uv pip compile pyproject.toml --python-version 3.11 --quiet
lock:
	$(UV_COMPILE) --extra dev --extra spark --extra bench -o requirements-bench.lock
	$(UV_COMPILE) --extra dev --extra spark -c requirements-bench.lock -o requirements-dev.lock
	$(UV_COMPILE) -c requirements-bench.lock -o requirements.lock

migrate: install messages
	$(YG) migrate --noinput

# The compiled catalogue is committed (a test checks it matches the .po), so a machine
# without gettext's msgfmt still has English; recompile only when the .po is newer.
messages: install
	@if [ $(PO) -nt $(MO) ]; then \
		if command -v msgfmt >/dev/null; then $(YG) compilemessages --locale en --ignore .venv; \
		else echo "note: msgfmt not found; using the committed $(MO)"; fi; \
	fi

# ruff, then the layer contracts of pyproject.toml (docs/architecture.md, "Layers").
lint: setup
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-logo

# The benchmark makes its own databases (see benchmarks/README.md); BENCH_ARGS adds options.
bench: setup-bench
	$(PY) benchmarks/run.py --quick $(BENCH_ARGS)

# Keeps var/ (database and keys: deleting the keys makes stored ID numbers unreadable).
clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
