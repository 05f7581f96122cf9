"""Helpers for the integration tests: where the lab's services are, polling, fresh trace ids."""

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import boto3
import requests
from testcontainers.compose import DockerCompose

ROOT = Path(__file__).resolve().parents[2]


def dotenv(key: str) -> str:
    """A value from the project's .env (the single source of versions, ports and region)."""
    for line in (ROOT / ".env").read_text().splitlines():
        if line.startswith(f"{key}="):
            return line.split("=", 1)[1]
    raise KeyError(key)


REGION = dotenv("AWS_REGION")

# A project of its own and random host ports: the tests neither reuse nor collide with a lab
# started by `make up`. (An empty port makes compose publish "127.0.0.1::<port>".)
TEST_ENV = {
    "COMPOSE_PROJECT_NAME": "obslab-test",
    "BACKEND_PORT": "",
    "JAEGER_UI_PORT": "",
    "OTLP_GRPC_PORT": "",
    "OTLP_HTTP_PORT": "",
    "LOCALSTACK_PORT": "",
    "XRAY_DAEMON_PORT": "",
}

T = TypeVar("T")


class Lab:
    def __init__(self, compose: DockerCompose):
        self.compose = compose

    def url(self, service: str, port: int) -> str:
        return f"http://127.0.0.1:{self.compose.get_service_port(service, port)}"

    @property
    def backend(self) -> str:
        return self.url("backend-flask", 4567)

    @property
    def jaeger(self) -> str:
        return self.url("jaeger", 16686)

    @property
    def localstack(self) -> str:
        return self.url("localstack", 4566)

    def xray(self):
        return boto3.client(
            "xray",
            endpoint_url=self.localstack,
            region_name=REGION,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )


def eventually(check: Callable[[], T | None], what: str, timeout: float = 60, interval: float = 1) -> T:
    """Poll `check` until it returns something truthy; fail with the last error after `timeout`."""
    deadline = time.monotonic() + timeout
    last = "nothing yet"
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except (AssertionError, KeyError, requests.RequestException) as error:
            last = repr(error)
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last})")


def new_ids() -> dict[str, str]:
    """Fresh ids for one request: a W3C traceparent for OpenTelemetry, a header for X-Ray."""
    otel_trace_id = os.urandom(16).hex()
    parent_span_id = os.urandom(8).hex()
    xray_trace_id = f"1-{int(time.time()):08x}-{os.urandom(12).hex()}"
    return {
        "otel_trace_id": otel_trace_id,
        "parent_span_id": parent_span_id,
        "xray_trace_id": xray_trace_id,
        "headers": {
            "traceparent": f"00-{otel_trace_id}-{parent_span_id}-01",
            # Sampled=1: recorded whatever the sampling rules say, so the test is deterministic.
            "X-Amzn-Trace-Id": f"Root={xray_trace_id};Sampled=1",
        },
    }
