"""Telemetry that no one here wrote, shown by the console's pages in a real browser: markup and
script in span names, attribute keys and values and service names (sent through the collector),
in X-Ray segment names, annotations, metadata and HTTP fields (sent to LocalStack's X-Ray API),
and in every field of a CloudWatch Logs request line. Every page shows it as text: no injected
element exists, no script ran, and the browser reported no blocked attempt either."""

import json
import os
import time

import pytest
import requests

from .browser import shoot
from .lab import ENV_FILE, eventually, new_ids

pytestmark = pytest.mark.integration

# Each piece, if it were parsed as HTML, would create an element of class "injected" or run
# a script that sets window.__pwned; quotes and angle brackets break out of attributes too.
HOSTILE = (
    '"\'><img class="injected" src="x" onerror="window.__pwned=1">'
    '<script class="injected">window.__pwned=2</script>'
    '<svg class="injected" onload="window.__pwned=3"></svg><a class="injected" href="javascript:window.__pwned=4">x</a>'
)


def _otlp_span(trace_id: str, span_id: str, parent: str | None, now_ns: int) -> dict:
    span = {
        "traceId": trace_id,
        "spanId": span_id,
        "name": f"GET {HOSTILE}",
        "kind": 2,
        "startTimeUnixNano": str(now_ns - 20_000_000),
        "endTimeUnixNano": str(now_ns),
        "attributes": [
            {"key": f"app.{HOSTILE}", "value": {"stringValue": HOSTILE}},
            {"key": "http.route", "value": {"stringValue": HOSTILE}},
            {"key": "app.list", "value": {"arrayValue": {"values": [{"stringValue": HOSTILE}]}}},
        ],
    }
    if parent:
        span["parentSpanId"] = parent
    return span


@pytest.fixture(scope="module")
def hostile(lab) -> dict:
    """The same hostile text through every way into the console's pages; the ids to open."""
    ids = new_ids()
    otel_id, now = ids["otel_trace_id"], time.time()
    root, child = os.urandom(8).hex(), os.urandom(8).hex()
    lab.send_spans([_otlp_span(otel_id, root, None, time.time_ns()), _otlp_span(otel_id, child, root, time.time_ns())],
                   resource=[{"key": "service.name", "value": {"stringValue": f"svc {HOSTILE}"}}])  # fmt: skip

    # X-Ray, straight to its API: a segment of another trace, whose every free-text field is hostile.
    segment_trace = new_ids()["xray_trace_id"]
    segment = {
        "name": f"seg {HOSTILE}"[:200], "id": os.urandom(8).hex(), "trace_id": segment_trace,
        "start_time": now - 0.05, "end_time": now, "fault": True,
        "http": {"request": {"method": "GET", "url": f"http://x/{HOSTILE}"}, "response": {"status": 500}},
        "annotations": {"hostile_key": HOSTILE}, "metadata": {"default": {HOSTILE: HOSTILE}},
        "subsegments": [{"name": f"sub {HOSTILE}"[:200], "id": os.urandom(8).hex(), "start_time": now - 0.04,
                         "end_time": now - 0.01, "namespace": "remote"}],
    }  # fmt: skip
    answer = lab.xray().put_trace_segments(TraceSegmentDocuments=[json.dumps(segment)])
    assert answer["UnprocessedTraceSegments"] == []

    # CloudWatch Logs: a request line whose every field is hostile, and a line that is not JSON.
    logs, group, stream = lab.aws("logs"), ENV_FILE["CLOUDWATCH_LOG_GROUP"], f"hostile-{os.getpid()}"
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    line = {key: HOSTILE for key in ("service", "method", "path", "route", "status", "otel_trace_id", "xray_trace_id")}
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=[
        {"timestamp": int(now * 1000), "message": json.dumps({**line, "duration_ms": HOSTILE})},
        {"timestamp": int(now * 1000) + 1, "message": f"not json {HOSTILE}"},
    ])  # fmt: skip

    def in_console():
        answer = requests.get(f"{lab.console}/api/traces/{otel_id}", timeout=5)
        return answer.ok and len(answer.json()["spans"]) == 2

    eventually(in_console, "the hostile spans in the console", timeout=60)
    eventually(lambda: lab.xray().batch_get_traces(TraceIds=[segment_trace])["Traces"], "the hostile segment")
    return {"otel_id": otel_id, "segment_trace": segment_trace, "stream": stream}


@pytest.fixture
def page(new_page):
    page = new_page()
    page.blocked = []
    page.on("console", lambda m: page.blocked.append(m.text) if "Content Security Policy" in m.text else None)
    return page


def _assert_shown_as_text_only(page, name: str) -> None:
    shoot(page, f"hostile-{name}")
    assert HOSTILE in page.inner_text("body")  # it reached the page, as text
    assert page.evaluate("window.__pwned") is None
    assert page.locator(".injected").count() == 0
    assert page.locator("img").count() == 0
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map((a) => a.getAttribute('href'))")
    assert [href for href in hrefs if href.lower().startswith("javascript")] == []
    assert page.blocked == []  # nothing even tried to run and was stopped by the policy


def test_the_query_page_shows_hostile_spans_as_text(page, lab, hostile):
    otel_id = hostile["otel_id"]
    where = f'trace.trace_id = "{otel_id}"'
    query = f"VISUALIZE COUNT, HEATMAP(duration_ms) WHERE {where} GROUP BY name, service.name SINCE 1h"
    page.goto(f"{lab.console}/?q={requests.utils.quote(query)}&trace={otel_id}")
    page.wait_for_selector("#waterfall .span-row")
    page.wait_for_selector(".chart .main-svg")
    page.locator("#waterfall .span-row").first.click()
    assert page.locator("#span-detail th", has_text=f"app.{HOSTILE}").count() == 1
    page.locator("#result-table tbody tr").first.click()
    page.wait_for_selector("#span-list:not([hidden]) tbody tr")
    _assert_shown_as_text_only(page, "query")


def test_the_xray_page_shows_hostile_segments_as_text(page, lab, hostile):
    # Filtered on the segment's own annotation: with more fault traces in the range than the list
    # shows (earlier tests make many), a filter on `fault` alone could leave this one out.
    page.goto(f"{lab.console}/xray?trace={hostile['segment_trace']}&filter=fault%20AND%20annotation.hostile_key")
    page.wait_for_selector("#timeline .segment")
    page.locator("#timeline .segment").first.click()
    assert HOSTILE in page.inner_text("#entity-detail").replace('\\"', '"')
    page.wait_for_selector("#service-map .node")
    _assert_shown_as_text_only(page, "xray")


def test_the_logs_page_shows_hostile_request_lines_as_text(page, lab, hostile):
    page.goto(f"{lab.console}/logs?contains=window.__pwned")
    page.wait_for_selector("#events tbody tr")
    assert page.locator("#events tbody tr").count() >= 2
    _assert_shown_as_text_only(page, "logs")
