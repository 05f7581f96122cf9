"""The structured request lines in LocalStack's CloudWatch Logs (group "cruddur")."""

import pytest
import requests

from .lab import new_ids, request_lines

pytestmark = pytest.mark.integration


def test_each_request_is_logged_by_both_services_with_both_trace_ids(lab):
    ids = new_ids()
    response = requests.get(f"{lab.backend}/api/activities/@garek", headers=ids["headers"], timeout=10)
    assert response.status_code == 200

    lines = dict((line["service"], (stream, line)) for stream, line in request_lines(lab, {ids["otel_trace_id"]}, 2))

    stream, backend = lines["backend-flask"]
    assert stream.startswith("backend-flask/")
    assert backend["method"] == "GET"
    assert backend["path"] == "/api/activities/@garek"
    assert backend["route"] == "/api/activities/@<handle>"
    assert backend["status"] == 200
    assert backend["duration_ms"] > 0
    assert backend["xray_trace_id"] == ids["xray_trace_id"]
    stream, users = lines["users-api"]
    assert stream.startswith("users-api/")
    assert users["path"] == "/users/@garek"
    assert users["xray_trace_id"] == ids["xray_trace_id"]


def test_errors_are_logged_too(lab):
    ids = new_ids()
    requests.post(f"{lab.backend}/api/activities", json={}, headers=ids["headers"], timeout=10)

    [(_, line)] = request_lines(lab, {ids["otel_trace_id"]}, 1)
    assert (line["method"], line["status"]) == ("POST", 422)


def test_no_line_is_lost_when_the_service_stops(lab):
    sent = set()
    for _ in range(5):
        ids = new_ids()
        requests.get(f"{lab.backend}/api/activities/home", headers=ids["headers"], timeout=10).raise_for_status()
        sent.add(ids["otel_trace_id"])
    try:
        # Right away, well within watchtower's send interval: only the flush on SIGTERM can deliver them.
        lab.run_compose("stop", "backend-flask")
        lines = request_lines(lab, sent, len(sent))
    finally:
        lab.run_compose("up", "--detach", "--wait", "backend-flask")
    assert {line["otel_trace_id"] for _, line in lines} == sent
