"""The lab console against the real stack: the collector delivers every span to its DuckDB
store, and Honeycomb's questions get the right answers on known traffic."""

import pytest
import requests

from telemetry_contract import ENDPOINTS

from .lab import eventually, new_ids

pytestmark = pytest.mark.integration

SLOW_ROUTE, FAST_ROUTE = "/api/activities/notifications", "/api/activities/home"
BY_HANDLE = next(e for e in ENDPOINTS if e.id == "user activities")


@pytest.fixture(scope="module")
def known_traffic(lab):
    """40 requests to a route slowed to 300 ms by a fault knob, 40 to another, one @<handle> request."""
    requests.put(
        f"{lab.backend}/admin/faults", json={"route": SLOW_ROUTE, "delay_ms": 300}, timeout=5
    ).raise_for_status()
    try:
        for _ in range(40):
            assert requests.get(f"{lab.backend}{SLOW_ROUTE}", timeout=10).status_code == 200
            assert requests.get(f"{lab.backend}{FAST_ROUTE}", timeout=10).status_code == 200
    finally:
        requests.delete(f"{lab.backend}/admin/faults", timeout=5).raise_for_status()
    ids = new_ids()
    assert requests.get(f"{lab.backend}{BY_HANDLE.path}", headers=ids["headers"], timeout=10).status_code == 200
    # Every span of the burst in the store: 40 server spans per route.
    eventually(
        lambda: lab.console_query(
            f'VISUALIZE COUNT WHERE name in ("GET {SLOW_ROUTE}", "GET {FAST_ROUTE}") SINCE 15m'
        )["table"]["rows"][0][0] >= 80,
        "the burst's server spans in the console",
        timeout=60,
    )  # fmt: skip
    return ids


def test_a_request_is_queryable_by_its_trace_id(lab):
    # How fast is for the bench to measure (goal: 5 s); here, that it arrives at all.
    ids = new_ids()
    requests.get(f"{lab.backend}/api/activities/home", headers=ids["headers"], timeout=10).raise_for_status()
    text = f"VISUALIZE COUNT WHERE trace.trace_id = {ids['otel_trace_id']} SINCE 15m"
    counted = eventually(lambda: lab.console_query(text)["table"]["rows"][0][0] >= 2, "the request's spans", timeout=30)
    assert counted


def test_p90_of_the_slowed_route_is_at_least_the_delay(lab, known_traffic):
    answer = lab.console_query(
        f'VISUALIZE P90(duration_ms), COUNT WHERE span.kind = server AND service.name = backend-flask '
        f'AND name in ("GET {SLOW_ROUTE}", "GET {FAST_ROUTE}") GROUP BY name SINCE 15m'
    )  # fmt: skip
    p90 = {row[0]: row[1] for row in answer["table"]["rows"]}
    assert p90[f"GET {SLOW_ROUTE}"] >= 300
    assert p90[f"GET {FAST_ROUTE}"] < 100


def test_a_handle_request_is_a_trace_of_five_spans(lab, known_traffic):
    trace_id = known_traffic["otel_trace_id"]
    text = f"VISUALIZE COUNT WHERE trace.trace_id = {trace_id} GROUP BY trace.trace_id SINCE 15m"
    # Its spans arrive in batches: wait for all, then no more may come.
    rows = eventually(lambda: (rows := lab.console_query(text)["table"]["rows"]) and rows[0][1] >= 5 and rows,
                      "the trace's spans", timeout=30)  # fmt: skip
    assert rows == [[trace_id, 5]]
    spans = requests.get(f"{lab.console}/api/traces/{trace_id}", timeout=10).json()["spans"]
    assert {s["service.name"] for s in spans} == {"backend-flask", "users-api"}
    assert {s["name"] for s in spans} >= {BY_HANDLE.server_operation, "users-directory-lookup", "user-activities"}


def test_the_critical_path_of_a_handle_request_runs_through_users_api(lab, known_traffic):
    trace_id = known_traffic["otel_trace_id"]
    eventually(lambda: len(requests.get(f"{lab.console}/api/traces/{trace_id}", timeout=10).json()["spans"]) >= 5,
               "the trace's spans", timeout=30)  # fmt: skip
    spans = requests.get(f"{lab.console}/api/traces/{trace_id}", timeout=10).json()["spans"]
    on_path = {(s["service.name"], s["name"]) for s in spans if s["critical"]}
    assert ("backend-flask", BY_HANDLE.server_operation) in on_path
    assert any(service == "users-api" for service, _ in on_path), on_path
    # Self times add up to the root's duration at most (children's time is not counted twice).
    # (The test's traceparent header makes the server span a child of a span the trace lacks.)
    root = next(s for s in spans if s["name"] == BY_HANDLE.server_operation)
    assert sum(s["self_ms"] for s in spans if s["service.name"] == "backend-flask") <= root["duration_ms"] + 0.01


def test_heatmap_bucket_counts_sum_to_count(lab, known_traffic):
    answer = lab.console_query(f'VISUALIZE HEATMAP(duration_ms), COUNT WHERE name = "GET {SLOW_ROUTE}" SINCE 15m')
    heatmap = answer["heatmaps"]["HEATMAP(duration_ms)"]
    assert sum(map(sum, heatmap["counts"])) == heatmap["total"] == answer["table"]["rows"][0][0] >= 40


def test_spans_with_app_result_length_are_found_by_exists(lab, known_traffic):
    answer = lab.console_query("VISUALIZE COUNT WHERE app.result_length exists GROUP BY name SINCE 15m")
    names = {row[0] for row in answer["table"]["rows"]}
    assert {"home-activities-mock-data", "notifications-activities", "user-activities"} <= names
    assert "GET /api/activities/home" not in names
    typed = requests.get(f"{lab.console}/api/fields", timeout=10).json()["fields"]
    assert (typed["app.result_length"], typed["app.user.found"], typed["duration_ms"]) == (
        "BIGINT",
        "BOOLEAN",
        "DOUBLE",
    )


def test_a_bad_query_gets_a_400_that_says_where(lab):
    response = requests.post(f"{lab.console}/api/query", json={"text": "VISUALIZE COUNT WHERE a = 1 AND b = 2 OR c"},
                             timeout=10)  # fmt: skip
    assert response.status_code == 400 and "position" in response.json()["message"]
    response = requests.post(f"{lab.console}/api/query", json={"text": "VISUALIZE P90(no.such.field)"}, timeout=10)
    assert response.status_code == 400 and "unknown field 'no.such.field'" in response.json()["message"]
