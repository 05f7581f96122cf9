"""backend-flask records what tests/telemetry_contract.py promises, endpoint by endpoint: the
custom spans with their attributes, the same work as X-Ray subsegments with annotations, and a
request line with every log field. (users-api's side: test_users_api.py; the real stack:
tests/integration/test_telemetry_contract.py.)"""

import logging

import pytest
from opentelemetry import trace

from obslab_common.telemetry import REQUEST_LOGGER
from telemetry_contract import APP_METRICS, ENDPOINTS, LOG_FIELDS, mismatches, xray_annotation

# Sampled=1 makes the X-Ray middleware record the request whatever the sampling rules say.
XRAY_HEADER = {"X-Amzn-Trace-Id": "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"}


def send(app, endpoint):
    response = app.test_client().open(endpoint.path, method=endpoint.method, json=endpoint.body, headers=XRAY_HEADER)
    assert response.status_code == endpoint.status, response.get_json()
    return response


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.id)
def test_custom_spans_carry_their_attributes(app, spans, endpoint):
    send(app, endpoint)

    finished = spans.get_finished_spans()
    for name, expected in endpoint.spans["backend-flask"].items():
        [recorded] = [dict(span.attributes) for span in finished if span.name == name]
        assert mismatches(expected, recorded) == {}


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.id)
def test_xray_subsegments_carry_the_same_values_as_annotations(app, xray_segments, endpoint):
    send(app, endpoint)

    [segment] = xray_segments
    assert segment.name == "backend-flask"
    subsegments = {sub.name: sub.annotations for sub in segment.subsegments}
    for name, expected in endpoint.spans["backend-flask"].items():
        assert name in subsegments, f"no subsegment {name} among {sorted(subsegments)}"
        assert mismatches({xray_annotation(k): v for k, v in expected.items()}, subsegments[name]) == {}


@pytest.fixture
def request_lines():
    """The request lines the app logs (obslab_common.telemetry's logger), as dicts."""
    lines: list[dict] = []

    class Capture(logging.Handler):
        def emit(self, record):
            lines.append(record.msg)

    handler, logger = Capture(), logging.getLogger(REQUEST_LOGGER)
    logger.addHandler(handler)
    yield lines
    logger.removeHandler(handler)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.id)
def test_request_line_has_every_log_field(app, request_lines, endpoint):
    # In the container, the zero-code instrumentation opens the server span; here the test does.
    with trace.get_tracer("test").start_as_current_span("server") as server:
        send(app, endpoint)

    [line] = request_lines
    assert line["otel_trace_id"] == format(server.get_span_context().trace_id, "032x")
    assert set(line) >= LOG_FIELDS
    assert (line["service"], line["method"], line["route"], line["status"]) == (
        "backend-flask",
        endpoint.method,
        endpoint.route,
        endpoint.status,
    )
    assert line["xray_trace_id"] == "1-5759e988-bd862e3fe1be46a994272793"


def test_the_service_name_comes_from_otel_service_name(monkeypatch, users_directory, xray_segments, request_lines):
    import backend_flask

    monkeypatch.setenv("OTEL_SERVICE_NAME", "renamed-backend")
    app = backend_flask.create_app(users=users_directory)
    send(app, ENDPOINTS[0])

    assert [segment.name for segment in xray_segments] == ["renamed-backend"]
    assert request_lines[0]["service"] == "renamed-backend"


def test_posting_counts_the_activity_by_its_time_to_live(app, metric_points):
    [create] = [e for e in ENDPOINTS if e.id == "create"]
    send(app, create)
    send(app, create)

    name, (_, attribute) = "cruddur.activities.created", APP_METRICS["cruddur.activities.created"]
    assert metric_points(name) == {((attribute, create.body["ttl"]),): 2}


def test_users_api_counts_lookups_found_and_not(users_app, metric_points):
    users_app.test_client().get("/users/@worf")
    users_app.test_client().get("/users/@nobody")
    users_app.test_client().get("/users/@garek")

    _, attribute = APP_METRICS["users.lookups"]
    assert metric_points("users.lookups") == {((attribute, True),): 2, ((attribute, False),): 1}
