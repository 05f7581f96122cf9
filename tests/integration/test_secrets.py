"""Secrets a client sends stay out of every store of the lab. Requests carry an Authorization
header, a cookie, an API key header and token/password query parameters, each with a value
found nowhere else; once the requests are in every store, the stores' raw answers are searched
for those values. The collector's own redaction (the safety net) is tested by sending it a span
that carries them as attributes, as a careless SDK would."""

import json
import os
import time
import uuid

import pytest
import requests

from telemetry_contract import ENDPOINTS

from .lab import ENV_FILE, OPENTELEMETRY, XRAY_SDK, eventually, new_ids, request_lines, sent_by, span_tags

pytestmark = pytest.mark.integration

BY_HANDLE = next(e for e in ENDPOINTS if e.id == "user activities")


def _secret(kind: str) -> str:
    return f"{kind}-{uuid.uuid4().hex}"


SECRETS = {kind: _secret(kind) for kind in ("bearer", "cookie", "apikey", "token", "password")}


def _headers(ids: dict) -> dict:
    return {
        **ids["headers"],
        "Authorization": f"Bearer {SECRETS['bearer']}",
        "Cookie": f"session={SECRETS['cookie']}",
        "X-Api-Key": SECRETS["apikey"],
    }


QUERY = f"token={SECRETS['token']}&password={SECRETS['password']}&page=2"


def _leaks(text: str) -> list[str]:
    return [kind for kind, value in SECRETS.items() if value in text]


@pytest.fixture(scope="module")
def sent(lab):
    """Two requests with every secret: one that calls users-api, one answered by backend alone;
    returns their ids once both are in every store."""
    sent = []
    for path in (BY_HANDLE.path, "/api/activities/home"):
        ids = new_ids()
        response = requests.get(f"{lab.backend}{path}?{QUERY}", headers=_headers(ids), timeout=10)
        assert response.status_code == 200
        sent.append(ids)
    for ids in sent:
        lab.jaeger_trace(ids["otel_trace_id"], {f"GET {BY_HANDLE.route}"} if ids is sent[0] else set())
        in_console = f"{lab.console}/api/traces/{ids['otel_trace_id']}"
        eventually(lambda url=in_console: requests.get(url, timeout=5).status_code == 200, "the request in the console")
        lab.xray_documents(ids["xray_trace_id"], {"backend-flask"}, tracer=XRAY_SDK)
        lab.xray_documents(ids["xray_trace_id"], {"backend-flask"}, tracer=OPENTELEMETRY)
    request_lines(lab, {ids["otel_trace_id"] for ids in sent}, count=3)  # backend twice, users-api once
    return sent


def test_jaeger_keeps_the_query_but_not_its_secrets(lab, sent):
    for ids in sent:
        trace = requests.get(f"{lab.jaeger}/api/traces/{ids['otel_trace_id']}", timeout=10).json()
        assert _leaks(json.dumps(trace)) == []  # parsed first: Jaeger's JSON escapes & and =
        # The query is recorded (the redaction is what keeps the secrets out, not a missing attribute).
        queries = {span_tags(span).get("url.query") for span in trace["data"][0]["spans"]}
        assert "token=REDACTED&password=REDACTED&page=2" in queries


def test_the_console_has_no_secret(lab, sent):
    for ids in sent:
        assert _leaks(requests.get(f"{lab.console}/api/traces/{ids['otel_trace_id']}", timeout=10).text) == []


def test_xray_has_no_secret_by_either_path(lab, sent):
    traces = lab.xray().batch_get_traces(TraceIds=[ids["xray_trace_id"] for ids in sent])["Traces"]
    documents = [segment["Document"] for trace in traces for segment in trace["Segments"]]
    tracers = {(json.loads(d)["name"], sent_by(json.loads(d))) for d in documents}
    both_paths = {(service, path) for service in ("backend-flask", "users-api") for path in (OPENTELEMETRY, XRAY_SDK)}
    assert tracers >= both_paths
    assert _leaks("\n".join(documents)) == []


def test_cloudwatch_logs_have_no_secret(lab, sent):
    logs = lab.aws("logs")
    messages = [
        event["message"]
        for page in logs.get_paginator("filter_log_events").paginate(logGroupName=ENV_FILE["CLOUDWATCH_LOG_GROUP"])
        for event in page["events"]
    ]
    assert any(sent[0]["otel_trace_id"] in message for message in messages)
    assert _leaks("\n".join(messages)) == []


def test_prometheus_has_no_secret(lab, sent):
    # Every series Prometheus holds, with all its labels, after the span metrics of the requests
    # have been flushed and scraped.
    route = f"GET {BY_HANDLE.route}"
    eventually(
        lambda: lab.promql(f'traces_span_metrics_calls_total{{span_name="{route}"}}'), "the span metrics scraped"
    )
    response = requests.get(f"{lab.prometheus}/api/v1/series", params={"match[]": '{__name__=~".+"}'}, timeout=30)
    response.raise_for_status()
    assert len(response.json()["data"]) > 50
    assert _leaks(response.text) == []


def test_the_collector_redacts_what_an_sdk_let_through(lab):
    trace_id, now = os.urandom(16).hex(), time.time_ns()
    attributes = {
        "http.request.header.authorization": f"Bearer {SECRETS['bearer']}",
        "http.request.header.cookie": f"session={SECRETS['cookie']}",
        "http.request.header.x-api-key": SECRETS["apikey"],
        "url.query": QUERY,
        "url.full": f"http://example.test/api?{QUERY}",
        "http.request.header.accept": "application/json",
    }
    span = {
        "traceId": trace_id,
        "spanId": os.urandom(8).hex(),
        "name": "careless-sdk",
        "kind": 2,
        "startTimeUnixNano": str(now - 1_000_000),
        "endTimeUnixNano": str(now),
        "attributes": [{"key": k, "value": {"stringValue": v}} for k, v in attributes.items()],
    }
    lab.send_spans([span], resource=[{"key": "service.name", "value": {"stringValue": "careless-sdk"}}])
    trace = lab.jaeger_trace(trace_id, {"careless-sdk"})
    tags = {tag["key"]: tag["value"] for tag in trace["spans"][0]["tags"]}
    assert _leaks(json.dumps(trace)) == []
    assert tags["url.query"] == "token=REDACTED&password=REDACTED&page=2"
    assert tags["http.request.header.accept"] == "application/json"  # other headers are kept
    assert "http.request.header.authorization" not in tags
