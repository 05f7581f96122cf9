# The lab's commands. `make help` lists them. Versions and ports live in .env.
SHELL := /bin/bash
.DEFAULT_GOAL := help

COMPOSE := docker compose
VENV := .venv
PYTHON ?= python3

.PHONY: help provision images up down clean ps logs urls load load-ui soak restart-drill xray cw-logs query bench bench-console test test-unit test-later lint format

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

provision: ## Make sure a Docker engine and Compose v2+ are there (installs them on Debian as root)
	@scripts/provision-docker.sh

images: provision ## Make sure every upstream image exists: pulled, or built from pinned sources
	@scripts/build-images.sh

up: images ## Start the lab and wait until it is healthy
	$(COMPOSE) up --detach --build --wait
	@echo
	@scripts/urls.sh

down: ## Stop the lab (keeps every store: traces, metrics, spans, queues, X-Ray, logs; make clean deletes them)
	$(COMPOSE) down

clean: ## Stop the lab and delete its data (every volume: traces, metrics, spans, queues, X-Ray, logs)
	$(COMPOSE) down --volumes --remove-orphans

ps: ## Show the lab's containers and their health
	$(COMPOSE) ps

logs: ## Follow the logs of every service (make logs S=backend-flask for one)
	$(COMPOSE) logs --follow --tail=100 $(S)

urls: ## Print every URL of the lab
	@scripts/urls.sh

# Locust runs in compose (profile "load"), as the host's user so reports are yours.
LOCUST := $(COMPOSE) --profile load run --rm --user $$(id -u):$$(id -g)
REPORT = $$(date +%Y%m%d-%H%M%S)

load: images ## Generate load headless (USERS, SPAWN_RATE, RUN_TIME override .env); reports in reports/locust/
	@. scripts/lib.sh && load_env && \
	users=$${USERS:-$$LOCUST_USERS} rate=$${SPAWN_RATE:-$$LOCUST_SPAWN_RATE} time=$${RUN_TIME:-$$LOCUST_RUN_TIME} && \
	report=$(REPORT) && mkdir -p reports/locust && \
	echo "==> Locust: $$users users, $$rate/s spawn rate, for $$time (report: reports/locust/$$report.html)" && \
	$(LOCUST) locust --headless --users $$users --spawn-rate $$rate --run-time $$time \
	  --html $$report.html --csv $$report

load-ui: images ## Locust's web UI on http://127.0.0.1:8089 (Ctrl+C stops it)
	@mkdir -p reports/locust
	@echo "==> Locust web UI: http://127.0.0.1:$$(. scripts/lib.sh && load_env && echo $$LOCUST_UI_PORT)"
	$(LOCUST) --service-ports locust

soak: images $(VENV)/.installed ## Locust at 50 users on the running lab, 10 min warm-up + 10 min measured: failures, memory growth, a chart (USERS, WARMUP, MINUTES)
	@$(VENV)/bin/python scripts/soak.py --users $${USERS:-50} --warmup $${WARMUP:-10} --minutes $${MINUTES:-10}

restart-drill: $(VENV)/.installed ## Restart each backend under traffic, then count what every store holds (DOWN=10 seconds)
	@$(VENV)/bin/python scripts/restart_drill.py --down-seconds $${DOWN:-10}

xray: $(VENV)/.installed ## Recent X-Ray traces as trees (FILTER='service("users-api")', MINUTES=15, LIMIT=10)
	@$(VENV)/bin/python scripts/xray_tree.py

query: ## Ask the console's span store: make query Q='VISUALIZE P90(duration_ms) GROUP BY name SINCE 15m' [FORMAT=json]
	@python3 scripts/console_query.py

bench: images $(VENV)/.installed ## Measure the lab: start, memory, freshness, overhead, capacity (QUICK=1: shorter); reports/bench/
	@cd scripts && ../$(VENV)/bin/python -m bench $(if $(QUICK),--quick)

bench-console: $(VENV)/.installed ## Benchmark the console's store: ingestion rate, the exercise's queries over 2M spans
	$(VENV)/bin/python scripts/bench_console.py

cw-logs: $(VENV)/.installed ## Follow the CloudWatch log group live (Ctrl+C stops)
	@$(VENV)/bin/python scripts/cw_logs.py

# Two processes (pyproject.toml says why): the suites without Docker, then the real stack.
test: images $(VENV)/.installed ## Run all tests: unit tests, then the real stack via testcontainers
	@scripts/need-debian-package.sh chromium chromium
	$(VENV)/bin/pytest
	$(VENV)/bin/pytest tests/integration

test-unit: $(VENV)/.installed ## Run the unit tests only (no Docker)
	$(VENV)/bin/pytest

# A test that writes a date out (rather than relative to the clock it gives the code) passes
# only for a while; CI runs the unit tests a second time with the clock moved ahead to catch it.
test-later: $(VENV)/.installed ## Run the unit tests with the clock 60 days ahead (Debian's faketime)
	@scripts/need-debian-package.sh faketime faketime
	faketime -f +60d $(VENV)/bin/pytest

SHELL_SCRIPTS := $(wildcard scripts/*.sh images/*/build.sh */offline-image/*.sh localstack/init/ready.d/*.sh)

lint: $(VENV)/.installed ## Lint and format checks: ruff (Python), shellcheck (scripts), yamllint (YAML)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	@scripts/need-debian-package.sh shellcheck shellcheck
	shellcheck -x $(SHELL_SCRIPTS)
	$(VENV)/bin/yamllint -s .

format: $(VENV)/.installed ## Fix what ruff can fix and format the Python code
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

$(VENV)/.installed: requirements-dev.txt services/flask-common/requirements.txt services/backend-flask/requirements.txt \
    services/console/requirements.txt
	@echo "==> Installing test tools into $(VENV)"
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@
