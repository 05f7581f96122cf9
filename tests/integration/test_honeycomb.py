"""The optional export to Honeycomb: with HONEYCOMB_API_KEY set, the collector sends every span
over OTLP with the key in x-honeycomb-team, as the exercise's services did. A local capture
server stands in for Honeycomb's endpoint; the key must not show up in any span or log."""

import base64
import json
import subprocess
import uuid

import pytest
import requests

from .lab import PYTHON_IMAGE, TEST_ENV, eventually, new_ids

pytestmark = pytest.mark.integration

# An OTLP/HTTP endpoint that answers 200 and prints each request as a JSON line.
CAPTURE = """
import base64, gzip, json, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
class Capture(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        print(json.dumps({"path": self.path, "headers": dict(self.headers), "body": base64.b64encode(body).decode()}),
              flush=True)
        self.send_response(200); self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *args): pass
HTTPServer(("0.0.0.0", 4318), Capture).serve_forever()
"""
KEY = f"hcaik_test_{uuid.uuid4().hex}"


def docker(*args: str) -> str:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=True, timeout=120).stdout


@pytest.fixture
def honeycomb(lab):
    """A capture server on the lab's network, and the collector recreated with a key pointing at it."""
    name = f"honeycomb-capture-{uuid.uuid4().hex[:8]}"
    network = f"{TEST_ENV['COMPOSE_PROJECT_NAME']}_default"
    docker("run", "-d", "--rm", "--name", name, "--network", network, PYTHON_IMAGE, "python3", "-c", CAPTURE)
    settings = {"HONEYCOMB_API_KEY": KEY, "HONEYCOMB_ENDPOINT": f"http://{name}:4318"}
    try:
        lab.run_compose("up", "--detach", "--no-deps", "otel-collector", env=settings)
        yield name
    finally:
        lab.run_compose("up", "--detach", "--no-deps", "otel-collector", env={"HONEYCOMB_API_KEY": ""})
        docker("rm", "--force", name)


def captured(name: str) -> list[dict]:
    return [json.loads(line) for line in docker("logs", name).splitlines() if line.startswith("{")]


def test_spans_go_to_honeycomb_with_the_key_in_its_header_and_nowhere_else(lab, honeycomb):
    ids = new_ids()

    # The collector was just recreated: the SDKs' exports may need a moment to reach it again.
    def delivered():
        requests.get(f"{lab.backend}/api/activities/home", headers=ids["headers"], timeout=10).raise_for_status()
        trace_id = bytes.fromhex(ids["otel_trace_id"])
        found = [r for r in captured(honeycomb) if trace_id in base64.b64decode(r["body"])]
        return found or None

    [request, *_] = eventually(delivered, "the request's spans at the Honeycomb stand-in", timeout=90, interval=3)
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert request["path"] == "/v1/traces"
    assert headers["x-honeycomb-team"] == KEY
    assert b"backend-flask" in base64.b64decode(request["body"])

    bodies = b"".join(base64.b64decode(r["body"]) for r in captured(honeycomb))
    assert KEY.encode() not in bodies
    assert KEY not in lab.run_compose("logs", "--no-color").stdout
    jaeger = requests.get(f"{lab.jaeger}/api/traces/{ids['otel_trace_id']}", timeout=10).text
    console = requests.get(f"{lab.console}/api/traces/{ids['otel_trace_id']}", timeout=10).text
    assert KEY not in jaeger and KEY not in console


def test_without_a_key_the_exporter_is_not_configured_and_nothing_is_said(lab):
    # The lab as .env starts it (HONEYCOMB_API_KEY empty): the empty overlay, no complaint.
    container = lab.run_compose("ps", "-q", "otel-collector").stdout.strip()
    args = json.loads(docker("inspect", "-f", "{{json .Args}}", container))
    assert "--config=/etc/otelcol-contrib/honeycomb.yaml" in args
    assert not any("honeycomb-on" in arg for arg in args)
    assert "honeycomb" not in lab.run_compose("logs", "--no-color", "otel-collector").stdout.lower()
