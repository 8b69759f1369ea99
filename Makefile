# Yangguang (阳光) — the two commands a newcomer needs are `make run` and `make test`.
#
# Both create .venv with the machine's Python (3.11+), install requirements.lock and
# the package into it when the lock (or pyproject.toml) changed, and prepare the
# database. Everything they download comes from PyPI.

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

.PHONY: run test test-sqlite test-postgres setup migrate messages lint bench clean

run: setup migrate
	$(YG) demo --if-empty
	@echo "Yangguang: http://$(HOST):$(PORT)/  (Ctrl-C stops the server)"
	YANGGUANG_DEBUG=$${YANGGUANG_DEBUG-1} $(YG) runserver $(HOST):$(PORT)

test: test-sqlite test-postgres

# `DATABASE_URL=` selects the default SQLite database (pytest-django runs the tests
# on an in-memory copy per worker, built by the migrations).
test-sqlite: setup messages
	@echo "=== tests on SQLite ==="
	DATABASE_URL= $(BIN)/pytest -n auto $(PYTEST_ARGS)

test-postgres: setup messages
	@url="$${TEST_DATABASE_URL:-$${DATABASE_URL:-$(PG_DEFAULT_URL)}}"; \
	case "$$url" in postgres*) ;; *) url="$(PG_DEFAULT_URL)" ;; esac; \
	shown="$$(echo "$$url" | sed -E 's#//([^:@/]*):[^@/]*@#//\1:***@#')"; \
	if $(PY) -c 'import sys, psycopg; psycopg.connect(sys.argv[1], dbname="postgres", connect_timeout=3).close()' "$$url" 2>/dev/null; then \
		echo "=== tests on PostgreSQL ($$shown) ==="; \
		DATABASE_URL="$$url" $(BIN)/pytest -n auto $(PYTEST_ARGS); \
	elif [ "$${REQUIRE_POSTGRES:-0}" = 1 ]; then \
		echo "ERROR: no PostgreSQL server at $$shown, and REQUIRE_POSTGRES=1" >&2; exit 1; \
	else \
		echo "=== PostgreSQL tests SKIPPED: no server at $$shown (set TEST_DATABASE_URL, or REQUIRE_POSTGRES=1 to fail instead) ==="; \
	fi

# Install only when requirements.lock or pyproject.toml changed since the last install:
# the stamp holds their checksum.
setup:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Yangguang needs Python 3.11 or newer; set PYTHON=/path/to/python3.11" >&2; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@sum="$$(cat requirements.lock pyproject.toml | $(PY) -c 'import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')"; \
	if [ "$$(cat $(STAMP) 2>/dev/null)" != "$$sum" ]; then \
		echo "Installing requirements.lock into $(VENV) ..."; \
		$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock && \
		$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e . && \
		echo "$$sum" > $(STAMP); \
	fi

migrate: setup messages
	$(YG) migrate --noinput

# The compiled catalogue is committed (a test checks it matches the .po), so a machine
# without gettext's msgfmt still has English; recompile only when the .po is newer.
messages: setup
	@if [ $(PO) -nt $(MO) ]; then \
		if command -v msgfmt >/dev/null; then $(YG) compilemessages --locale en --ignore .venv; \
		else echo "note: msgfmt not found; using the committed $(MO)"; fi; \
	fi

lint: setup
	$(BIN)/ruff check .

# The benchmark makes its own databases (see benchmarks/README.md); BENCH_ARGS adds options.
bench: setup
	$(PY) benchmarks/run.py --quick $(BENCH_ARGS)

# Keeps var/ (database and keys: deleting the keys makes stored ID numbers unreadable).
clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
