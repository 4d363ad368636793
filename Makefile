# Mekong Exchange: set-up, run and test. `make run` and `make test` work on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON_DOWNLOADS := never
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: venv run test check lint format schema services walkthrough bench bench-breakdown bench-delivery clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

$(BIN)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python $$($(PYTHON) -c 'import sys; print(sys.executable)')
	touch $@

venv: $(BIN)/.synced

messages: venv
	$(BIN)/python manage.py compilemessages --ignore '.venv/*' --ignore '.tools/*' -v 0

run: venv messages
	HOST=$(HOST) PORT=$(PORT) scripts/run_embedded.sh

services:
	scripts/ensure_services.sh

test: venv messages services
	$(BIN)/pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

schema: venv
	$(BIN)/python manage.py spectacular --validate --fail-on-warn --file openapi.yaml

check: lint
	scripts/check_messages.sh
	$(BIN)/lint-imports
	mkdir -p var
	$(BIN)/python manage.py spectacular --validate --fail-on-warn --file var/openapi.check.yaml
	diff -u openapi.yaml var/openapi.check.yaml || (echo "openapi.yaml is stale: run 'make schema'" && exit 1)
	DJANGO_SETTINGS_MODULE=config.settings.production SECRET_KEY=$$(head -c 48 /dev/urandom | base64) \
	  ENCRYPTION_KEYS=k1:$$(head -c 32 /dev/urandom | base64) \
	  AUDIT_SIGNING_KEY=$$(head -c 32 /dev/urandom | base64) \
	  EMAIL_URL=smtp+tls://mailer:secret@smtp.example.org:587 \
	  ALLOWED_HOSTS=exchange.example.org $(BIN)/python manage.py check --deploy --fail-level WARNING

# Webhook deliveries per second to a local receiver with two worker processes (own redis-server).
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/mekong_bench_delivery
BENCH_DELIVERIES ?= 2000
bench-delivery: venv services
	$(BIN)/python bench/delivery_throughput.py --deliveries $(BENCH_DELIVERIES) --workers 2 \
	  --database-url $(BENCH_DATABASE_URL)

walkthrough: venv
	$(BIN)/python scripts/walkthrough.py --base-url http://$(HOST):$(PORT)

# Seeds (or reuses) the mekong_bench database, serves it with gunicorn and loads it with locust.
bench: venv messages services
	$(UV) sync --frozen --group bench --python $$($(PYTHON) -c 'import sys; print(sys.executable)')
	BENCH_CASES=$${BENCH_CASES:-1000000} $(BIN)/python -m bench.run

# In-process: the list and the write with one part switched off at a time (after make bench).
bench-breakdown: venv services
	$(BIN)/python -m bench.breakdown

clean:
	rm -rf $(VENV) $(TOOLS) var
