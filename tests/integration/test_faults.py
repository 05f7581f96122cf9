"""Fault knobs on the real stack: slow and failing requests, and what the traces show."""

import pytest
import requests

from .lab import new_ids, span_tags

pytestmark = pytest.mark.integration


@pytest.fixture
def knobs(lab):
    """Set fault knobs through the admin endpoints; all are cleared again after the test."""
    services = {"backend-flask": lab.backend, "users-api": lab.users_api}

    def set_fault(service, **fault):
        response = requests.put(f"{services[service]}/admin/faults", json=fault, timeout=5)
        assert response.status_code == 200, response.text

    yield set_fault
    for url in services.values():
        requests.delete(f"{url}/admin/faults", timeout=5).raise_for_status()


def request(lab, path):
    ids = new_ids()
    response = requests.get(f"{lab.backend}{path}", headers=ids["headers"], timeout=15)
    return response, ids


def test_error_knob_fails_requests_and_marks_the_server_span(lab, knobs):
    knobs("backend-flask", route="/api/activities/notifications", error_rate=1)

    response, ids = request(lab, "/api/activities/notifications")

    assert response.status_code == 503
    assert response.json()["errors"] == ["injected_fault"]
    server = lab.jaeger_trace(ids["otel_trace_id"], {"GET /api/activities/notifications"})["spans"][0]
    tags = span_tags(server)
    assert tags["error"] is True
    assert tags["app.fault.injected_error"] is True
    assert tags["http.response.status_code"] == 503
    segment = lab.xray_documents(ids["xray_trace_id"], {"backend-flask"})["backend-flask"]
    assert segment.get("fault") is True


def test_latency_knob_slows_the_server_span(lab, knobs):
    knobs("backend-flask", route="/api/activities/home", delay_ms=400)

    response, ids = request(lab, "/api/activities/home")

    assert response.status_code == 200
    trace = lab.jaeger_trace(ids["otel_trace_id"], {"GET /api/activities/home", "home-activities-mock-data"})
    server = next(s for s in trace["spans"] if s["operationName"] == "GET /api/activities/home")
    assert span_tags(server)["app.fault.delay_ms"] == 400
    assert server["duration"] >= 400_000  # microseconds


def test_failing_downstream_service_shows_in_both_processes(lab, knobs):
    knobs("users-api", route="/users/@<handle>", error_rate=1)

    response, ids = request(lab, "/api/activities/@worf")

    assert response.status_code == 503
    assert response.json()["errors"] == ["users_service_unavailable"]
    trace = lab.jaeger_trace(ids["otel_trace_id"], {"GET /api/activities/@<handle>", "GET", "GET /users/@<handle>"})
    spans = {s["operationName"]: s for s in trace["spans"]}
    assert span_tags(spans["GET /users/@<handle>"])["app.fault.injected_error"] is True
    assert span_tags(spans["GET"])["error"] is True
    assert span_tags(spans["GET /api/activities/@<handle>"])["http.response.status_code"] == 503


def test_a_knob_on_one_users_lookups_slows_only_that_user(lab, knobs):
    knobs("users-api", route="/users/@<handle>", params={"handle": "garek"}, delay_ms=300)

    slow, slow_ids = request(lab, "/api/activities/@garek")
    fast, fast_ids = request(lab, "/api/activities/@worf")

    assert slow.status_code == fast.status_code == 200
    lookups = {}
    for ids in (slow_ids, fast_ids):
        trace = lab.jaeger_trace(ids["otel_trace_id"], {"GET /api/activities/@<handle>", "GET /users/@<handle>"})
        lookups[ids["otel_trace_id"]] = next(s for s in trace["spans"] if s["operationName"] == "GET /users/@<handle>")
    slowed, spared = lookups[slow_ids["otel_trace_id"]], lookups[fast_ids["otel_trace_id"]]
    # Only the duration tells: a knob that picks requests by their parameters leaves no mark.
    assert slowed["duration"] >= 300_000 and "app.fault.delay_ms" not in span_tags(slowed)
    assert spared["duration"] < 300_000


def test_knobs_are_off_again_after_clearing(lab, knobs):
    knobs("backend-flask", route="*", error_rate=1)
    assert request(lab, "/api/message_groups")[0].status_code == 503

    requests.delete(f"{lab.backend}/admin/faults", timeout=5).raise_for_status()

    assert request(lab, "/api/message_groups")[0].status_code == 200
    assert requests.get(f"{lab.backend}/admin/faults", timeout=5).json() == {"faults": {}}
