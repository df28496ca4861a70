# Coachline. `make run` serves the demo site; `make test` runs lint and the whole suite.
# Needs only python3 (3.11+), pip and make. DATABASE_URL selects PostgreSQL for tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell $(PYTHON) -c "import hashlib,sys;print(hashlib.sha1(open('requirements.lock','rb').read()).hexdigest()[:12])")
PYTEST_ARGS ?=

.PHONY: setup run serve test lint typecheck check-deploy check-production messages worker beat clean bench

$(STAMP): requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

setup: $(STAMP)
	$(BIN)/python locale/compile.py

# The demo site, and beside it a Celery worker and beat (home/management/commands/run_demo.py):
# without REDIS_URL they share kombu's filesystem transport under var/celery, and every timed job
# runs every two minutes, so reminders, commitment checks and report refreshes show. Ctrl-C stops all.
run: setup
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py run_demo 127.0.0.1:8000

# Same as run, without re-seeding (for a second terminal or after editing code).
serve: setup
	$(BIN)/python manage.py runserver 127.0.0.1:8000

lint: setup
	$(BIN)/ruff check .
	env -u DATABASE_URL $(BIN)/python manage.py makemigrations --check --dry-run --settings=config.test_settings
	$(BIN)/lint-imports

typecheck: setup
	$(BIN)/mypy core events accounts notifications training deals coaching integrations tools practice roi home config

# One run on two workers, browser journeys included (each worker its own Chromium, live server
# and test database; the loopback fakes take ports per worker). Work stealing keeps both workers
# busy to the end instead of leaving one with the long journeys.
test: lint
	$(BIN)/pytest -n 2 --dist worksteal $(PYTEST_ARGS)

# `manage.py check --deploy` with production-like variables.
check-deploy: setup
	DEBUG=false SECRET_KEY=$$($(BIN)/python -c 'import secrets;print(secrets.token_urlsafe(50))') \
	FIELD_ENCRYPTION_KEY=$$($(BIN)/python -c 'from cryptography.fernet import Fernet;print(Fernet.generate_key().decode())') \
	ALLOWED_HOSTS=coachline.example.com $(BIN)/python manage.py check --deploy --fail-level WARNING

# The site run as docs/deployment.md says (PostgreSQL, gunicorn, worker, beat), crawled by Chromium
# as each demo role. Needs PostgreSQL on 127.0.0.1:5432, redis-server and chromium; see .ci/production.
check-production: setup
	bash .ci/production

messages:
	$(BIN)/python manage.py makemessages --locale de --ignore ".venv/*" --ignore "staticfiles/*"

worker:
	$(BIN)/celery -A config worker --loglevel INFO

beat:
	$(BIN)/celery -A config beat --loglevel INFO

bench: setup
	$(BIN)/python bench/pages.py

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
