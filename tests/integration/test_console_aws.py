"""The console's X-Ray and CloudWatch Logs pages against the real stack, in Debian's chromium:
the service map, the exercise's group filter, a trace timeline with both tracers' segments,
log lines linked to their trace and back, and LocalStack going away and coming back."""

import pytest
import requests

from .browser import shoot
from .lab import eventually, new_ids

pytestmark = pytest.mark.integration

FAULTY_ROUTE = "/api/activities/notifications"


@pytest.fixture(scope="module")
def traffic(lab) -> dict:
    """A shared-id request across both services, a 404 (an error) and, with a fault knob, 503s."""
    shared = new_ids()
    requests.get(f"{lab.backend}/api/activities/@worf", headers=shared["headers"], timeout=10).raise_for_status()
    requests.get(f"{lab.backend}/api/activities/@nobody", timeout=10)
    requests.put(
        f"{lab.backend}/admin/faults", json={"route": FAULTY_ROUTE, "error_rate": 1}, timeout=5
    ).raise_for_status()
    try:
        faulty = new_ids()
        assert requests.get(f"{lab.backend}{FAULTY_ROUTE}", headers=faulty["headers"], timeout=10).status_code == 503
    finally:
        requests.delete(f"{lab.backend}/admin/faults", timeout=5).raise_for_status()
    lab.xray_documents(shared["xray_trace_id"], {"backend-flask", "users-api"})  # the SDK's, through the daemon
    lab.xray_documents(shared["xray_trace_id"], {"backend-flask", "users-api"}, tracer="OpenTelemetry")
    lab.xray_documents(faulty["xray_trace_id"], {"backend-flask"})
    return {"shared": shared, "faulty": faulty}


@pytest.fixture
def page(new_page):
    return new_page()


def test_the_service_map_shows_both_services_and_the_call_between_them(page, lab, traffic):
    page.goto(f"{lab.console}/xray")
    page.wait_for_selector('#service-map .node[data-name="users-api"]')
    names = page.eval_on_selector_all("#service-map .node", "nodes => nodes.map(n => n.dataset.name)")
    assert {"client", "backend-flask", "users-api"} <= set(names)
    edge = page.locator('#service-map .edge[data-source="backend-flask"][data-target="users-api"]')
    assert int(edge.get_attribute("data-count")) > 0
    backend = page.locator('#service-map .node[data-name="backend-flask"]')
    assert int(backend.get_attribute("data-faults")) > 0 and int(backend.get_attribute("data-errors")) > 0
    shoot(page, "xray-service-map")


def test_the_exercises_group_lists_only_faulty_or_erroring_traces(page, lab, traffic):
    page.goto(f"{lab.console}/xray")
    page.get_by_role("button", name='Cruddur: service("backend-flask") {fault OR error}').click()
    # Idle again: the group's traces are in, not the first load's (which lists the faulty trace too).
    faulty_row = f'#traces tbody tr[data-trace-id="{traffic["faulty"]["xray_trace_id"]}"]'
    page.wait_for_selector(f"body[data-idle=true] {faulty_row}")
    statuses = page.eval_on_selector_all("#traces tbody tr td:nth-child(5)", "cells => cells.map(c => c.textContent)")
    assert statuses and all("fault" in s or "error" in s for s in statuses), statuses
    listed = page.eval_on_selector_all("#traces tbody tr", "rows => rows.map(r => r.dataset.traceId)")
    assert traffic["shared"]["xray_trace_id"] not in listed
    shoot(page, "xray-cruddur-group")


def test_an_invalid_filter_expression_shows_xrays_message(page, lab, traffic):
    page.goto(f"{lab.console}/xray")
    page.wait_for_selector("body[data-idle=true]")  # the page's own first load is done
    page.fill("#filter", 'service("backend-flask") {fault OR')
    page.get_by_role("button", name="Find traces").click()
    page.wait_for_selector("body[data-idle=true] #message:not([hidden])")
    assert "Invalid filter expression" in page.inner_text("#message") and "position" in page.inner_text("#message")


def test_a_trace_timeline_shows_both_tracers_segments(page, lab, traffic):
    trace_id = traffic["shared"]["xray_trace_id"]
    page.goto(f"{lab.console}/xray?trace={trace_id}")
    page.wait_for_selector("#timeline .segment")
    rows = "rows => rows.map(r => [r.dataset.tracer, r.dataset.name])"
    segments = set(map(tuple, page.eval_on_selector_all("#timeline .segment", rows)))
    expected = {
        (tracer, service) for tracer in ("X-Ray SDK", "OpenTelemetry") for service in ("backend-flask", "users-api")
    }
    assert expected <= segments
    # The same work in both: an X-Ray SDK annotation (no dots) and the exporter's (the attribute's name).
    for tracer, key in (("X-Ray SDK", "app_user_handle"), ("OpenTelemetry", "app.user.handle")):
        page.locator(f'#timeline .span-row[data-tracer="{tracer}"][data-name="user-activities"]').click()
        assert f'"{key}": "worf"' in page.inner_text("#entity-detail")
    shoot(page, "xray-timeline")


def test_a_log_line_links_to_its_trace_and_back(page, lab, traffic):
    otel_id = traffic["shared"]["otel_trace_id"]
    page.goto(f"{lab.console}/logs?contains={otel_id}")
    page.wait_for_selector(f'#events tbody tr[data-otel-trace-id="{otel_id}"]')
    assert page.locator("#events tbody tr").count() == 2  # one line per service
    shoot(page, "logs-of-a-trace")
    page.locator(f'#events tbody tr[data-otel-trace-id="{otel_id}"] a.to-console').first.click()
    page.wait_for_selector("#trace:not([hidden]) .span-row")
    assert page.inner_text("#trace-id") == otel_id
    page.click("#logs-link")
    page.wait_for_selector(f'#events tbody tr[data-otel-trace-id="{otel_id}"]')
    page.locator(f'#events tbody tr[data-otel-trace-id="{otel_id}"] a.to-xray').first.click()
    page.wait_for_selector("#timeline .segment")
    assert page.inner_text("#timeline-id") == traffic["shared"]["xray_trace_id"]


def test_with_localstack_stopped_the_pages_say_so_and_recover(page, lab, traffic):
    lab.run_compose("stop", "localstack")
    try:
        response = requests.get(f"{lab.console}/api/xray/groups", timeout=30)
        assert response.status_code == 503 and "LocalStack does not answer" in response.json()["message"]
        page.goto(f"{lab.console}/xray")
        page.wait_for_selector("#message:not([hidden])")
        assert "LocalStack does not answer" in page.inner_text("#message")
        shoot(page, "xray-localstack-down")
    finally:
        lab.run_compose("up", "--detach", "--wait", "localstack")
    # The page retries on its own: the map comes back without a reload.
    page.wait_for_selector("#service-map .node, #service-map text", timeout=60_000)
    eventually(lambda: page.is_hidden("#message"), "the page to recover", timeout=60)
