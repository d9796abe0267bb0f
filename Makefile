# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DJANGO_SETTINGS_MODULE ?= settings.dev
# pytest-xdist workers: one per core; 0 runs the suite in this one process (for a debugger, or -x).
PYTEST_WORKERS ?= auto

.PHONY: run test install migrate seed lint format bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

run: seed
	$(BIN)/python manage.py runserver 127.0.0.1:8000

test: install
	DJANGO_SETTINGS_MODULE=settings.test $(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Production settings on a database of its own (var/bench, or DATABASE_URL), a shared file cache, no HTTPS redirect.
BENCH_ENV := DJANGO_SETTINGS_MODULE=settings.production DJANGO_SECRET_KEY=bench-only-not-a-secret \
	DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost,testserver DJANGO_SECURE_SSL_REDIRECT=0 \
	DJANGO_VAR_DIR=$(CURDIR)/var/bench DJANGO_CACHE_DIR=$(CURDIR)/var/bench/cache \
	DJANGO_EMAIL_BACKEND=django.core.mail.backends.locmem.EmailBackend

bench: install
	mkdir -p var/bench
	$(BENCH_ENV) $(BIN)/python manage.py migrate --noinput -v0
	$(BENCH_ENV) $(BIN)/python manage.py collectstatic --noinput -v0
	$(BENCH_ENV) $(BIN)/python manage.py bench

clean:
	rm -rf $(VENV) var/db.sqlite3 var/media var/private var/mail var/static var/bench
