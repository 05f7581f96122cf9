"""Least privilege, read from the rendered compose configuration (every profile): each container
runs as a non-root user, and each published port listens on 127.0.0.1 only.

A service's user is compose's `user:` if set, else its image's: the last USER of the Dockerfile
compose builds it from, else that Dockerfile's base image (or the pulled image) as Docker
reports it. The services are not started: this needs the images `make images` provides."""

import json
import re
import subprocess
from pathlib import Path

import pytest

from .lab import ROOT

pytestmark = pytest.mark.integration

ROOT_USERS = {"", "root", "0"}


@pytest.fixture(scope="module")
def services() -> dict:
    rendered = subprocess.run(
        ["docker", "compose", "--profile", "load", "config", "--format", "json"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return json.loads(rendered)["services"]


def image_user(image: str) -> str:
    return subprocess.run(
        ["docker", "image", "inspect", "--format", "{{.Config.User}}", image],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip


def dockerfile_user(build: dict) -> str:
    """The user the final stage of a compose build runs as."""
    text = (Path(build["context"]) / build.get("dockerfile", "Dockerfile")).read_text()
    final_stage = re.split(r"^FROM ", text, flags=re.MULTILINE)[-1]
    users = re.findall(r"^USER (\S+)", final_stage, re.MULTILINE)
    if users:
        return users[-1]
    base = final_stage.split()[0]
    for name, value in (build.get("args") or {}).items():
        base = base.replace(f"${{{name}}}", value)
    return image_user(base)


def effective_user(service: dict) -> str:
    if service.get("user"):
        return service["user"]
    return dockerfile_user(service["build"]) if "build" in service else image_user(service["image"])


def test_every_container_runs_as_a_non_root_user(services):
    users = {name: effective_user(service) for name, service in services.items()}
    assert {name: user for name, user in users.items() if user.split(":")[0] in ROOT_USERS} == {}
    assert "locust" in users  # the load profile's service is checked too


def test_every_published_port_listens_on_localhost_only(services):
    published = [(name, port) for name, service in services.items() for port in service.get("ports", [])]
    assert len(published) >= 10
    assert [(name, port) for name, port in published if port.get("host_ip") != "127.0.0.1"] == []
