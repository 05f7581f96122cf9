"""The console's page in a real browser (Debian's chromium driven by Playwright): the exercise's
example queries draw charts with data, a heatmap cell lists its spans, and a span opens its
trace as a waterfall. Screenshots go to reports/screenshots/."""

import pytest
import requests

from telemetry_contract import ENDPOINTS

from .browser import shoot
from .lab import eventually, new_ids

pytestmark = pytest.mark.integration

EXAMPLES = ["Spans per trace", "HEATMAP(duration_ms)", "P90(duration_ms) by endpoint", "Spans with app.result_length"]
BY_HANDLE = next(e for e in ENDPOINTS if e.id == "user activities")


@pytest.fixture(scope="module")
def handle_trace(lab) -> str:
    """Traffic for the page: every endpoint a few times, and one @<handle> request to open."""
    for _ in range(3):
        for endpoint in ENDPOINTS:
            lab.send(endpoint)
    ids = new_ids()
    requests.get(f"{lab.backend}{BY_HANDLE.path}", headers=ids["headers"], timeout=10).raise_for_status()
    trace_id = ids["otel_trace_id"]

    def spans():
        return len(requests.get(f"{lab.console}/api/traces/{trace_id}", timeout=5).json().get("spans", [])) == 5

    eventually(spans, "the @<handle> trace's 5 spans in the console", timeout=60)
    return trace_id


@pytest.fixture
def page(new_page, lab, handle_trace):
    page = new_page()
    page.goto(lab.console)
    page.wait_for_selector(".chart .main-svg")
    return page


def plotted_points(page) -> dict[str, int]:
    """Per chart (by calculation): how many data points with a value it draws."""
    return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('.chart')].map((gd) => [
        gd.dataset.calculation,
        (gd.data || []).reduce((n, t) => n + (t.z ? t.z.flat().filter((v) => v).length
                                                 : (t.y || []).filter((v) => v !== null && v !== 0).length), 0)]))""")


@pytest.mark.parametrize("example", EXAMPLES)
def test_each_example_query_draws_a_chart_with_data(page, example):
    button = page.get_by_role("button", name=example)
    button.click()
    # The example's text is already in the console's canonical form: drawn means this query's charts.
    page.wait_for_function("text => document.body.dataset.drawn === text", arg=button.get_attribute("data-example"))
    points = plotted_points(page)
    assert points and all(count > 0 for count in points.values()), points
    assert page.locator("#result-table tbody tr").count() > 0
    shoot(page, example.split(":")[0].replace(" ", "-").replace("(", "-").replace(")", "").lower())


def test_selecting_a_heatmap_cell_lists_its_spans(page):
    button = page.get_by_role("button", name="HEATMAP(duration_ms)")
    button.click()
    page.wait_for_function("text => document.body.dataset.drawn === text", arg=button.get_attribute("data-example"))
    # The busiest cell's centre, in pixels, from the chart's own axes.
    x, y, count = page.evaluate("""() => {
        const gd = document.querySelector('.heatmap'), t = gd.data[0], l = gd._fullLayout;
        let best = [0, 0, 0];
        t.z.forEach((row, i) => row.forEach((c, j) => { if (c > best[2]) best = [i, j, c]; }));
        const box = gd.querySelector('.nsewdrag').getBoundingClientRect();
        const x = (l.xaxis.d2p(t.x[best[1]]) + l.xaxis.d2p(t.x[best[1] + 1])) / 2;
        const y = (l.yaxis.d2p(t.y[best[0]]) + l.yaxis.d2p(t.y[best[0] + 1])) / 2;
        return [box.left + x, box.top + y, best[2]];
    }""")
    page.mouse.click(x, y)
    page.wait_for_selector("#span-list:not([hidden]) tbody tr")
    assert page.locator("#span-list tbody tr").count() == min(count, 100)
    shoot(page, "heatmap-selection")


def test_a_span_opens_its_trace_as_a_waterfall_across_both_services(page, lab, handle_trace):
    page.goto(f"{lab.console}/?trace={handle_trace}")
    page.wait_for_selector("#trace:not([hidden]) .span-row")
    rows = page.locator("#waterfall .span-row")
    assert rows.count() == 5
    labels = [rows.nth(i).inner_text() for i in range(5)]
    assert any("users-api" in label for label in labels) and any("backend-flask" in label for label in labels)
    assert page.locator("#jaeger-link").get_attribute("href").endswith(f"/trace/{handle_trace}")
    # The critical path is marked, and runs through users-api's lookup.
    critical = page.locator("#waterfall .span-row.critical")
    assert any("users-api" in critical.nth(i).inner_text() for i in range(critical.count()))
    assert "self time" in page.locator("#waterfall .legend").inner_text()
    rows.nth(0).click()
    assert "http.route" in page.locator("#span-detail").inner_text()
    assert "self_ms" in page.locator("#span-detail").inner_text()
    shoot(page, "trace-waterfall")
