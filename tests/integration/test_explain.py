"""Explaining, not only showing, on the real stack: one user's lookups slowed by a fault knob
that picks requests by their parameters, traffic over several users, and then what the console
says about it: the comparison of a slow and a fast trace, the critical path, BubbleUp."""

import pytest
import requests

from .browser import shoot
from .lab import eventually, new_ids

pytestmark = pytest.mark.integration

SLOW_USER, OTHER_USERS = "garek", ["worf", "coco", "bayko", "andrewbrown"]
DELAY_MS = 250
ROUTE = "GET /api/activities/@<handle>"


@pytest.fixture(scope="module")
def slowed_user(lab):
    """Requests for five users, each four times; users-api slows only garek's lookups.
    handle -> the trace ids of its requests."""
    knob = {"route": "/users/@<handle>", "params": {"handle": SLOW_USER}, "delay_ms": DELAY_MS}
    requests.put(f"{lab.users_api}/admin/faults", json=knob, timeout=5).raise_for_status()
    traces: dict[str, list[str]] = {}
    try:
        for _ in range(4):
            for handle in [SLOW_USER, *OTHER_USERS]:
                ids = new_ids()
                response = requests.get(f"{lab.backend}/api/activities/@{handle}", headers=ids["headers"], timeout=10)
                assert response.status_code == 200
                traces.setdefault(handle, []).append(ids["otel_trace_id"])
    finally:
        requests.delete(f"{lab.users_api}/admin/faults", timeout=5).raise_for_status()
    everything = [trace_id for ids in traces.values() for trace_id in ids]

    def stored():
        return all(len(requests.get(f"{lab.console}/api/traces/{t}", timeout=5).json().get("spans", [])) >= 5
                   for t in everything)  # fmt: skip

    eventually(stored, "every trace's 5 spans in the console", timeout=60)
    return traces


def test_the_knob_slowed_only_that_users_requests(lab, slowed_user):
    def duration(trace_id):
        spans = requests.get(f"{lab.console}/api/traces/{trace_id}", timeout=5).json()["spans"]
        return next(s["duration_ms"] for s in spans if s["name"] == ROUTE)

    assert all(duration(t) >= DELAY_MS for t in slowed_user[SLOW_USER])
    assert all(duration(t) < DELAY_MS for handle in OTHER_USERS for t in slowed_user[handle])


def test_comparing_a_slow_and_a_fast_trace_puts_users_api_first(lab, slowed_user):
    fast, slow = slowed_user["worf"][0], slowed_user[SLOW_USER][0]
    answer = requests.get(f"{lab.console}/api/compare", params={"a": fast, "b": slow}, timeout=10).json()
    top = answer["differences"][0]
    assert (top["service"], top["name"]) == ("users-api", "GET /users/@<handle>")
    assert top["self_diff_ms"] >= DELAY_MS * 0.9


def test_the_critical_path_of_a_slow_request_runs_through_users_api(lab, slowed_user):
    spans = requests.get(f"{lab.console}/api/traces/{slowed_user[SLOW_USER][0]}", timeout=5).json()["spans"]
    lookup = next(s for s in spans if s["name"] == "GET /users/@<handle>")
    assert lookup["critical"] is True
    assert lookup["critical_ms"] >= DELAY_MS * 0.9
    assert lookup["self_ms"] >= DELAY_MS * 0.9


def test_the_page_compares_two_traces_side_by_side(new_page, lab, slowed_user):
    fast, slow = slowed_user["coco"][0], slowed_user[SLOW_USER][1]
    page = new_page()
    page.goto(f"{lab.console}/?compare={fast},{slow}")
    page.wait_for_selector("#compare:not([hidden]) #compare-table tbody tr")
    assert page.locator("#compare-a").inner_text() == fast
    assert "users-api GET /users/@<handle>" in page.locator("#compare-top li").first.inner_text()
    assert page.locator("#compare-table tbody tr").count() >= 5
    shoot(page, "compare-traces")


LOOKUPS = 'VISUALIZE HEATMAP(duration_ms), COUNT WHERE name = "GET /users/@<handle>" SINCE 15m'


def _handle_field(field: dict) -> bool:
    # The handle is in users-api's url.path (/users/@garek) and in app.user.handle: either tells.
    return field["field"] in ("url.path", "app.user.handle")


def test_bubbleup_over_the_slow_band_ranks_the_slowed_users_handle_first(lab, slowed_user):
    body = {"query": {"text": LOOKUPS}, "selection": {"field": "duration_ms", "range": [DELAY_MS * 0.9, 1e9]}}
    answer = requests.post(f"{lab.console}/api/bubbleup", json=body, timeout=30).json()
    assert answer["selected"] >= 4 and answer["baseline"] >= 16
    top = answer["fields"][0]
    assert _handle_field(top), [f["field"] for f in answer["fields"][:5]]
    assert SLOW_USER in str(top["selection"][0]["value"]) and top["selection"][0]["fraction"] == 1.0
    assert top["score"] >= 0.9


def test_the_page_bubbles_up_a_region_dragged_across_the_heatmap(new_page, lab, slowed_user):
    page = new_page()
    page.goto(f"{lab.console}/?q={requests.utils.quote(LOOKUPS)}")
    page.wait_for_selector(".heatmap .nsewdrag")
    # Drag across the whole time axis, from the delay up to the top of the value axis.
    x0, y0, x1, y1 = page.evaluate("""(delay) => {
        const gd = document.querySelector('.heatmap'), l = gd._fullLayout;
        const box = gd.querySelector('.nsewdrag').getBoundingClientRect();
        return [box.left + 2, box.top + l.yaxis.l2p(Math.log10(delay)), box.right - 2, box.top + 2];
    }""", DELAY_MS * 0.9)  # fmt: skip
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move((x0 + x1) / 2, (y0 + y1) / 2, steps=5)
    page.mouse.move(x1, y1, steps=5)
    page.mouse.up()
    page.wait_for_selector("#span-list:not([hidden]) tbody tr")
    page.get_by_role("button", name="BubbleUp: what sets these spans apart?").click()
    page.wait_for_function("() => document.body.dataset.bubbledUp")
    first = page.locator("#bubbleup-fields .bubble-field").first
    assert first.get_attribute("data-field") in ("url.path", "app.user.handle")
    top_value = page.evaluate("() => document.querySelector('#bubbleup-fields .bubble-field').data[0].x[0]")
    assert SLOW_USER in top_value
    shoot(page, "bubbleup")
