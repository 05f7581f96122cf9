"""Credential-like query parameters never reach a span (obslab_common.redaction), and the
collector's safety net names the same parameters."""

import re
from pathlib import Path

import flask
import pytest
import yaml
from opentelemetry.instrumentation.flask import FlaskInstrumentor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from obslab_common import redaction
from obslab_common.redaction import SECRET_PARAMETERS, redact

COLLECTOR_CONFIG = Path(__file__).resolve().parents[2] / "collector" / "config.yaml"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("token=abc", "token=REDACTED"),
        ("page=2&password=hunter2&sort=asc", "page=2&password=REDACTED&sort=asc"),
        ("/api?TOKEN=a%20b;api_key=k#frag", "/api?TOKEN=REDACTED;api_key=REDACTED#frag"),
        ("http://h/p?access_token=x&key=y", "http://h/p?access_token=REDACTED&key=REDACTED"),
        # Names that merely end like a secret parameter are left alone, as are values elsewhere.
        ("monkey=1&tokens=2&q=password=", "monkey=1&tokens=2&q=password="),
        ("", ""),
    ],
)
def test_redact(text, expected):
    assert redact(text) == expected


def test_a_requests_query_secrets_never_reach_the_exported_span():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app = flask.Flask("redaction-test")
    app.add_url_rule("/items", "items", lambda: "ok")
    # In the services, zero-code instrumentation instruments the app as it is created, before
    # the app factory calls telemetry.init(), which installs the redaction: the same order.
    # Its own meter provider: the HTTP histograms stay out of the shared one the other tests read.
    FlaskInstrumentor().instrument_app(app, tracer_provider=provider, meter_provider=MeterProvider())
    redaction.install(app)
    try:
        response = app.test_client().get(
            "/items?token=t0ps3cret&page=2&password=hunter2", headers={"Authorization": "Bearer b3arer"}
        )
    finally:
        FlaskInstrumentor().uninstrument_app(app)
    assert response.status_code == 200
    [span] = exporter.get_finished_spans()
    recorded = repr(dict(span.attributes))
    for secret in ("t0ps3cret", "hunter2", "b3arer"):
        assert secret not in recorded
    # The rest of the query is kept: it is what people filter on.
    assert "page=2" in recorded and "REDACTED" in recorded


def test_the_collector_redacts_the_same_parameters():
    statements = yaml.safe_load(COLLECTOR_CONFIG.read_text())["processors"]["transform/redact"]["trace_statements"]
    [pattern] = [s for s in statements if s.startswith("replace_all_patterns")]
    names = re.search(r"\(\?:((?:\w+\|)+\w+)\)=", pattern).group(1).split("|")
    assert tuple(names) == SECRET_PARAMETERS
