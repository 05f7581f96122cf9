# The lab's commands. `make help` lists them. Versions and ports live in .env.
SHELL := /bin/bash
.DEFAULT_GOAL := help

COMPOSE := docker compose
VENV := .venv
PYTHON ?= python3

.PHONY: help provision images up down clean ps logs urls test test-unit

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

down: ## Stop the lab (keeps its data)
	$(COMPOSE) down

clean: ## Stop the lab and delete its data (volumes)
	$(COMPOSE) down --volumes --remove-orphans

ps: ## Show the lab's containers and their health
	$(COMPOSE) ps

logs: ## Follow the logs of every service (make logs S=backend-flask for one)
	$(COMPOSE) logs --follow --tail=100 $(S)

urls: ## Print every URL of the lab
	@scripts/urls.sh

test: images $(VENV)/.installed ## Run all tests: unit tests, then the real stack via testcontainers
	$(VENV)/bin/pytest

test-unit: $(VENV)/.installed ## Run the unit tests only (no Docker)
	$(VENV)/bin/pytest tests/unit

$(VENV)/.installed: requirements-dev.txt services/backend-flask/requirements.txt
	@echo "==> Installing test tools into $(VENV)"
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@
