"""Helpers for the integration tests: where the lab's services are, polling, fresh trace ids."""

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import requests
from botocore.exceptions import BotoCoreError, ClientError
from telemetry_stores import request_lines as read_request_lines
from testcontainers.compose import DockerCompose

import lab_env
from trace_ids import new_ids  # noqa: F401 (the tests import it from here)
from xray_tree import OPENTELEMETRY, XRAY_SDK, sent_by  # noqa: F401 (the tests import them from here)

ROOT = Path(__file__).resolve().parents[2]


# The repository's .env as written: the tests ignore the caller's environment.
ENV_FILE = lab_env.env_file()
REGION = ENV_FILE["AWS_REGION"]
PYTHON_IMAGE = ENV_FILE["PYTHON_IMAGE"]

# A project of its own and random host ports (every *_PORT of .env, so none is forgotten): the
# tests neither reuse nor collide with a lab started by `make up`. (An empty port makes compose
# publish "127.0.0.1::<port>".)
TEST_ENV = {
    "COMPOSE_PROJECT_NAME": "obslab-test",
    **{key: "" for key in ENV_FILE if key.endswith("_PORT")},
}

# OBSLAB_PROFILE=scale (make test-scale): the same suite against the scale profile
# (compose.scale.yaml over compose.yaml). Its ingesters keep every trace there, so that what the
# suite expects in Jaeger does not depend on tail sampling's draw; tests/integration/test_scale.py
# changes that where it tests sampling itself.
PROFILE = os.environ.get("OBSLAB_PROFILE", "laptop")
if PROFILE not in ("laptop", "scale"):
    raise SystemExit(f"OBSLAB_PROFILE is {PROFILE!r}: laptop or scale")
COMPOSE_FILES = ["compose.yaml", "compose.scale.yaml"] if PROFILE == "scale" else ["compose.yaml"]
if PROFILE == "scale":
    TEST_ENV["SAMPLING_PERCENT"] = "100"

T = TypeVar("T")

AWS_CLI = str(Path(sys.executable).with_name("aws"))


class CliError(Exception):
    """The AWS CLI failed: `code` is AWS's error code (MalformedQueryException, say)."""

    def __init__(self, code: str, output: str):
        super().__init__(output)
        self.code = code


def aws_cli(lab: "Lab", *args: str, region=REGION, account="000000000000"):
    """Run the AWS CLI against LocalStack; the JSON answer, or CliError with the error code.
    LocalStack takes a 12-digit access key id as the account id."""
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": account,
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": region,
        "AWS_PAGER": "",
    }
    result = subprocess.run(
        [AWS_CLI, "--endpoint-url", lab.localstack, "--output", "json", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    if result.returncode != 0:
        code = result.stderr.split("(", 1)[1].split(")", 1)[0] if "(" in result.stderr else "?"
        raise CliError(code, result.stderr)
    return json.loads(result.stdout) if result.stdout.strip() else {}


class Lab:
    def __init__(self, compose: DockerCompose):
        self.compose = compose

    def url(self, service: str, port: int) -> str:
        return f"http://127.0.0.1:{self.compose.get_service_port(service, port)}"

    @property
    def backend(self) -> str:
        return self.url("backend-flask", 4567)

    @property
    def users_api(self) -> str:
        return self.url("users-api", 4568)

    @property
    def jaeger(self) -> str:
        return self.url("jaeger", 16686)

    @property
    def console(self) -> str:
        return self.url("console", 8080)

    def console_query(self, text: str) -> dict:
        response = requests.post(f"{self.console}/api/query", json={"text": text}, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()

    @property
    def prometheus(self) -> str:
        return self.url("prometheus", 9090)

    def promql(self, query: str) -> list[dict]:
        """The result vector of an instant PromQL query."""
        response = requests.get(f"{self.prometheus}/api/v1/query", params={"query": query}, timeout=10)
        response.raise_for_status()
        return response.json()["data"]["result"]

    @property
    def localstack(self) -> str:
        return self.url("localstack", 4566)

    def aws(self, service: str, region: str | None = None):
        return lab_env.aws_client(service, self.localstack, region)

    def xray(self):
        return self.aws("xray")

    def send(self, endpoint, ids: dict | None = None) -> requests.Response:
        """One request to an endpoint of tests/telemetry_contract.py, carrying these trace ids."""
        return requests.request(endpoint.method, f"{self.backend}{endpoint.path}", json=endpoint.body,
                                headers=ids["headers"] if ids else None, timeout=10)  # fmt: skip

    def send_spans(self, spans: list[dict], resource: list[dict]) -> None:
        """OTLP/JSON spans (one resource, one scope) to the collector, as an SDK sends them."""
        body = {"resourceSpans": [{"resource": {"attributes": resource}, "scopeSpans": [{"spans": spans}]}]}
        requests.post(f"{self.url('otel-collector', 4318)}/v1/traces", json=body, timeout=30).raise_for_status()

    def run_compose(self, *args: str, timeout: float = 300, env: dict | None = None) -> subprocess.CompletedProcess:
        """`docker compose <args>` in the test project (the session's environment selects it;
        `env` adds variables). A failure shows what compose said, and the services' recent logs."""
        command = [*self.compose.compose_command_property, *args]
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                                env={**os.environ, **(env or {})})  # fmt: skip
        if result.returncode != 0:
            services = [arg for arg in args if arg in self.compose.get_config()["services"]]
            logs = subprocess.run(
                [*self.compose.compose_command_property, "logs", "--tail", "40", *services],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=60,
            ).stdout
            raise AssertionError(
                f"{' '.join(args)} failed ({result.returncode}):\n{result.stderr[-3000:]}\n--- logs ---\n{logs[-5000:]}"
            )
        return result

    def jaeger_trace(self, trace_id: str, operations: set[str], timeout: float = 60) -> dict:
        """The trace from Jaeger's query API once it holds spans with all these operation names."""

        def complete():
            response = requests.get(f"{self.jaeger}/api/traces/{trace_id}", timeout=5)
            if response.status_code == 404:
                return None
            response.raise_for_status()
            [trace] = response.json()["data"]
            return trace if operations <= {span["operationName"] for span in trace["spans"]} else None

        return eventually(complete, f"trace {trace_id} with {sorted(operations)} in Jaeger", timeout)

    def xray_documents(
        self, trace_id: str, segments: set[str], tracer: str = XRAY_SDK, timeout: float = 60
    ) -> dict[str, dict]:
        """Segment documents by name from LocalStack's X-Ray API, as sent by one tracer (the
        X-Ray SDK's daemon, or OpenTelemetry's collector), once all named segments are in."""
        xray = self.xray()

        def complete():
            traces = xray.batch_get_traces(TraceIds=[trace_id])["Traces"]
            documents = [json.loads(s["Document"]) for t in traces for s in t["Segments"]]
            by_name = {doc["name"]: doc for doc in documents if sent_by(doc) == tracer}
            return by_name if segments <= set(by_name) else None

        return eventually(complete, f"{tracer} segments {sorted(segments)} of {trace_id} in X-Ray", timeout)


def request_lines(lab: "Lab", otel_trace_ids: set[str], count: int, timeout: float = 60) -> list[tuple[str, dict]]:
    """(stream, line) of the services' request lines in CloudWatch Logs for these OpenTelemetry
    trace ids, once there are `count` of them."""
    logs, group = lab.aws("logs"), ENV_FILE["CLOUDWATCH_LOG_GROUP"]

    def found():
        lines = read_request_lines(logs, group)
        lines = [(stream, line) for stream, line in lines if str(line.get("otel_trace_id")) in otel_trace_ids]
        return lines if len(lines) >= count else None

    return eventually(found, f"{count} request lines in CloudWatch Logs", timeout)


def span_tags(span: dict) -> dict:
    return {tag["key"]: tag["value"] for tag in span["tags"]}


def eventually(check: Callable[[], T | None], what: str, timeout: float = 60, interval: float = 1) -> T:
    """Poll `check` until it returns something truthy; fail with the last error after `timeout`."""
    deadline = time.monotonic() + timeout
    last = "nothing yet"
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except (AssertionError, KeyError, ValueError, requests.RequestException, BotoCoreError, ClientError) as error:
            last = repr(error)
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last})")
