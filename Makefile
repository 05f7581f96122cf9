# The lab's commands. `make help` lists them. Versions and ports live in .env.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# SCALE=1: the scale profile (compose.scale.yaml over compose.yaml; KAFKA_BROKERS=3 for three
# brokers). Commands that stop or look at the lab use both files and every profile, so they
# reach whichever profile runs.
KAFKA_BROKERS ?= $(shell sed -n 's/^KAFKA_BROKERS=//p' .env)
ifeq ($(KAFKA_BROKERS),3)
export KAFKA_QUORUM_VOTERS := 1@kafka:9093,2@kafka-2:9093,3@kafka-3:9093
export KAFKA_REPLICATION := 3
export KAFKA_MIN_INSYNC := 2
KAFKA_PROFILE := --profile kafka-3
endif
COMPOSE_ALL := docker compose -f compose.yaml -f compose.scale.yaml --profile '*'
COMPOSE := docker compose $(if $(SCALE),-f compose.yaml -f compose.scale.yaml $(KAFKA_PROFILE))
VENV := .venv
PYTHON ?= python3

.PHONY: help provision images up down clean ps logs urls load load-ui soak restart-drill scale-drill xray cw-logs query bubbleup insights bench bench-console bench-insights test test-scale test-unit test-later lint format k8s-images k8s-check

help: ## List the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

provision: ## Make sure a Docker engine and Compose v2+ are there (installs them on Debian as root)
	@scripts/provision-docker.sh

images: provision ## Make sure every upstream image exists: pulled, or built from pinned sources
	@scripts/build-images.sh

up: images ## Start the lab and wait until it is healthy (SCALE=1: the scale profile, see README)
	$(COMPOSE) up --detach --build --wait --remove-orphans
	@echo
	@scripts/urls.sh

down: ## Stop the lab, either profile (keeps every store: traces, metrics, spans, queues, X-Ray, logs; make clean deletes them)
	$(COMPOSE_ALL) down

clean: ## Stop the lab and delete its data (every volume: traces, metrics, spans, queues, X-Ray, logs)
	$(COMPOSE_ALL) down --volumes --remove-orphans

ps: ## Show the lab's containers and their health
	$(COMPOSE_ALL) ps

logs: ## Follow the logs of every service (make logs S=backend-flask for one)
	$(COMPOSE_ALL) logs --follow --tail=100 $(S)

urls: ## Print every URL of the lab
	@scripts/urls.sh

# Locust runs in compose (profile "load"), as the host's user so reports are yours, beside the
# profile that runs: with the scale profile up (its kafka running) its file is named too, or
# compose would recreate the services the two profiles configure differently (the collector,
# Jaeger) to start Locust's dependencies. Evaluated only by the targets that use it.
LOAD_COMPOSE = docker compose $(if $(or $(SCALE),$(shell docker compose -f compose.yaml -f compose.scale.yaml ps --quiet kafka 2>/dev/null)),-f compose.yaml -f compose.scale.yaml $(KAFKA_PROFILE))
LOCUST = $(LOAD_COMPOSE) --profile load run --rm --user $$(id -u):$$(id -g)
REPORT = $$(date +%Y%m%d-%H%M%S)

load: images ## Generate load headless (USERS, SPAWN_RATE, RUN_TIME override .env; WORKERS=N: a master and N workers); reports in reports/locust/
	@. scripts/lib.sh && load_env && \
	users=$${USERS:-$$LOCUST_USERS} rate=$${SPAWN_RATE:-$$LOCUST_SPAWN_RATE} time=$${RUN_TIME:-$$LOCUST_RUN_TIME} && \
	report=$(REPORT) && mkdir -p reports/locust && \
	echo "==> Locust: $$users users, $$rate/s spawn rate, for $$time$(if $(WORKERS), on $(WORKERS) workers) (report: reports/locust/$$report.html)" && \
	$(if $(WORKERS),$(WORKERS_UP) &&) \
	status=0 && $(LOCUST) $(if $(WORKERS),--use-aliases) locust --headless --users $$users --spawn-rate $$rate --run-time $$time \
	  $(if $(WORKERS),--master --expect-workers $(WORKERS) --expect-workers-max-wait 120) \
	  --html $$report.html --csv $$report || status=$$?; \
	$(if $(WORKERS),$(WORKERS_DOWN);) exit $$status

# Locust's workers (make load WORKERS=N) run beside the master and are removed after it.
WORKERS_UP = $(LOAD_COMPOSE) --profile load up --detach --scale locust-worker=$(WORKERS) locust-worker
WORKERS_DOWN = $(LOAD_COMPOSE) --profile load rm --stop --force locust-worker >/dev/null 2>&1

load-ui: images ## Locust's web UI on http://127.0.0.1:8089 (Ctrl+C stops it)
	@mkdir -p reports/locust
	@echo "==> Locust web UI: http://127.0.0.1:$$(. scripts/lib.sh && load_env && echo $$LOCUST_UI_PORT)"
	$(LOCUST) --service-ports locust

soak: images $(VENV)/.installed ## Locust at 50 users on the running lab, 10 min warm-up + 10 min measured: failures, memory growth, a chart (USERS, WARMUP, MINUTES)
	@$(VENV)/bin/python scripts/soak.py --users $${USERS:-50} --warmup $${WARMUP:-10} --minutes $${MINUTES:-10}

restart-drill: $(VENV)/.installed ## Restart each backend under traffic, then count what every store holds (DOWN=10 seconds)
	@$(VENV)/bin/python scripts/restart_drill.py --down-seconds $${DOWN:-10}

scale-drill: $(VENV)/.installed ## Scale profile: restart Kafka, an ingester, OpenSearch under traffic; count the error and slow traces in Jaeger (DOWN=10)
	@$(VENV)/bin/python scripts/scale_drill.py --down-seconds $${DOWN:-10}

xray: $(VENV)/.installed ## Recent X-Ray traces as trees (FILTER='service("users-api")', MINUTES=15, LIMIT=10)
	@$(VENV)/bin/python scripts/xray_tree.py

query: ## Ask the console's span store: make query Q='VISUALIZE P90(duration_ms) GROUP BY name SINCE 15m' [FORMAT=json]
	@SELECT= python3 scripts/console_query.py

bubbleup: ## What sets spans apart: make bubbleup Q='VISUALIZE HEATMAP(duration_ms) SINCE 15m' SELECT='duration_ms >= 250'
	@SELECT="$(SELECT)" python3 scripts/console_query.py

insights: ## Ask CloudWatch Logs Insights: make insights Q='filter status >= 500 | stats count(*) by route' [GROUP=...] [SINCE=1h]
	@python3 scripts/insights.py

bench: images $(VENV)/.installed ## Measure the lab: start, memory, freshness, overhead, capacity, then the scale profile beside it (QUICK=1: shorter); reports/bench/
	@cd scripts && ../$(VENV)/bin/python -m bench $(if $(QUICK),--quick)

bench-insights: $(VENV)/.installed ## Benchmark Logs Insights: the Logs page's example queries over 1M request lines
	$(VENV)/bin/python scripts/bench_insights.py

bench-console: $(VENV)/.installed ## Benchmark the console's store: ingestion rate, the exercise's queries over 2M spans
	$(VENV)/bin/python scripts/bench_console.py

cw-logs: $(VENV)/.installed ## Follow the CloudWatch log group live (Ctrl+C stops)
	@$(VENV)/bin/python scripts/cw_logs.py

# Two processes (pyproject.toml says why): the suites without Docker, then the real stack.
test: images $(VENV)/.installed ## Run all tests: unit tests, then the real stack via testcontainers
	@scripts/need-debian-package.sh chromium chromium
	$(VENV)/bin/pytest
	$(VENV)/bin/pytest tests/integration

# The same integration suite against the scale profile (and its own tests, test_scale.py).
test-scale: images $(VENV)/.installed ## Run the integration tests against the scale profile (Kafka, Jaeger's roles, OpenSearch)
	OBSLAB_PROFILE=scale $(VENV)/bin/pytest tests/integration

test-unit: $(VENV)/.installed ## Run the unit tests only (no Docker)
	$(VENV)/bin/pytest

# A test that writes a date out (rather than relative to the clock it gives the code) passes
# only for a while; CI runs the unit tests a second time with the clock moved ahead to catch it.
test-later: $(VENV)/.installed ## Run the unit tests with the clock 60 days ahead (Debian's faketime)
	@scripts/need-debian-package.sh faketime faketime
	faketime -f +60d $(VENV)/bin/pytest

SHELL_SCRIPTS := $(wildcard scripts/*.sh images/*/build.sh */offline-image/*.sh localstack/init/ready.d/*.sh) \
  kafka/offline-image/run kafka/offline-image/kafka-tool

lint: $(VENV)/.installed ## Lint and format checks: ruff (Python), shellcheck (scripts), yamllint (YAML), the Helm chart (helm lint, kubeconform)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	@scripts/need-debian-package.sh shellcheck shellcheck
	shellcheck -x $(SHELL_SCRIPTS)
	$(VENV)/bin/yamllint -s .
	@scripts/chart-lint.sh

k8s-images: ## The chart's images (compose's, both profiles): build them; REGISTRY=<host>/<path> also tags and pushes them there
	@REGISTRY=$(REGISTRY) scripts/k8s-images.sh

# The chart on a real API server (etcd, kube-apiserver, controller manager, scheduler) with kwok's
# fake nodes, all on loopback: both value sets installed and checked, then everything torn down.
k8s-check: $(VENV)/.installed ## Install the Helm chart's two value sets on a local Kubernetes API server with fake nodes, check them, tear down
	@$(VENV)/bin/python scripts/k8s_check.py

format: $(VENV)/.installed ## Fix what ruff can fix and format the Python code
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

$(VENV)/.installed: requirements-dev.txt services/flask-common/requirements.txt services/backend-flask/requirements.txt \
    services/console/requirements.txt
	@echo "==> Installing test tools into $(VENV)"
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@
