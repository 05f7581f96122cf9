"""The real stack delivers what tests/telemetry_contract.py promises: for every endpoint, the
request's spans reach Jaeger from each service it crosses, with the contracted attributes, and
each service's request line reaches CloudWatch Logs with every log field."""

import pytest

from telemetry_contract import ENDPOINTS, LOG_FIELDS, mismatches

from .lab import eventually, new_ids, request_lines

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def sent(lab) -> dict[str, dict]:
    """One request per endpoint, all sent before any is checked: endpoint id -> its ids."""
    sent = {}
    for endpoint in ENDPOINTS:
        ids = new_ids()
        response = lab.send(endpoint, ids)
        assert response.status_code == endpoint.status, (endpoint.id, response.text)
        sent[endpoint.id] = ids
    return sent


def _tags(span: dict) -> dict:
    # Jaeger's JSON keeps numbers and booleans typed.
    return {tag["key"]: tag["value"] for tag in span["tags"]}


def _holds(trace: dict, endpoint) -> bool:
    """Every contracted span is in the trace with its attributes (AssertionError: what is not)."""
    for service, spans in endpoint.spans.items():
        for name, expected in spans.items():
            recorded = [_tags(span) for span in trace["spans"] if span["operationName"] == name
                        and trace["processes"][span["processID"]]["serviceName"] == service]  # fmt: skip
            assert recorded, f"{service} has no span {name} in Jaeger"
            # A span may occur more than once (sending a message looks up two users): one must match.
            closest = min((mismatches(expected, tags) for tags in recorded), key=len)
            assert closest == {}, f"{service} {name}: {closest}"
    server = next(span for span in trace["spans"] if span["operationName"] == endpoint.server_operation)
    assert _tags(server)["http.route"] == endpoint.route
    return True


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.id)
def test_jaeger_has_the_contracted_spans(lab, sent, endpoint):
    trace_id = sent[endpoint.id]["otel_trace_id"]
    operations = {endpoint.server_operation} | {name for spans in endpoint.spans.values() for name in spans}
    lab.jaeger_trace(trace_id, operations)
    # Spans of one trace reach Jaeger in batches: poll until all of them are in.
    eventually(lambda: _holds(lab.jaeger_trace(trace_id, operations), endpoint), f"the contract of {endpoint.id}")


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.id)
def test_cloudwatch_logs_has_a_request_line_per_service(lab, sent, endpoint):
    ids = sent[endpoint.id]
    # users-api is asked once per handle the request resolves (sending a message asks twice).
    lines = request_lines(lab, {ids["otel_trace_id"]}, len(endpoint.spans))

    assert set(endpoint.spans) == {line["service"] for _, line in lines}
    for _, line in lines:
        assert set(line) >= LOG_FIELDS
        assert line["otel_trace_id"] == ids["otel_trace_id"]
    [backend] = [line for _, line in lines if line["service"] == "backend-flask"]
    assert (backend["route"], backend["status"], backend["xray_trace_id"]) == (
        endpoint.route,
        endpoint.status,
        ids["xray_trace_id"],
    )
