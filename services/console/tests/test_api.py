"""The console's HTTP API with Flask's test client and a real (in-memory) DuckDB store: OTLP/JSON
in as the collector sends it, queries out, and clear errors for bad input."""

import gzip
import json
import re
import time
from pathlib import Path

import pytest

import console
from console.store import SpanStore


def otlp_payload(trace_id: str, spans: list[tuple[str, str, str | None, float, dict]], service="backend-flask"):
    """An ExportTraceServiceRequest: spans as (name, span id, parent id, duration ms, attributes)."""
    now = time.time_ns() - 5_000_000_000

    def value(v):
        if isinstance(v, bool):
            return {"boolValue": v}
        if isinstance(v, int):
            return {"intValue": str(v)}
        if isinstance(v, float):
            return {"doubleValue": v}
        return {"stringValue": v}

    return {"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]},
        "scopeSpans": [{"spans": [
            {"traceId": trace_id, "spanId": span_id, **({"parentSpanId": parent} if parent else {}), "name": name,
             "kind": 2 if parent is None else 1, "startTimeUnixNano": str(now),
             "endTimeUnixNano": str(now + int(ms * 1e6)), "status": {"code": 2 if attrs.get("fail") else 0},
             "attributes": [{"key": k, "value": value(v)} for k, v in attrs.items()]}
            for name, span_id, parent, ms, attrs in spans
        ]}],
    }]}  # fmt: skip


TRACE = "6b0264d1a3f5c2e4b1d0c9a8f7e6d5c4"


@pytest.fixture
def client():
    return console.create_app(SpanStore()).test_client()


def send(client, payload, gzipped=False):
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"}
    if gzipped:
        body, headers["Content-Encoding"] = gzip.compress(body), "gzip"
    return client.post("/v1/traces", data=body, headers=headers)


def test_spans_sent_as_otlp_json_are_queryable_with_typed_attributes(client):
    payload = otlp_payload(TRACE, [
        ("GET /api/activities/home", "a000000000000001", None, 12.5, {"http.route": "/api/activities/home"}),
        ("home-activities-mock-data", "a000000000000002", "a000000000000001", 1.5,
         {"app.result_length": 3, "app.now": "2026-11-22T10:00:00+00:00", "ratio": 0.5, "app.ok": True}),
    ])  # fmt: skip
    assert send(client, payload, gzipped=True).status_code == 200

    fields = client.get("/api/fields").get_json()
    assert fields["spans"] == 2
    assert {k: fields["fields"][k] for k in ("app.result_length", "ratio", "app.ok", "app.now")} == {
        "app.result_length": "BIGINT",
        "ratio": "DOUBLE",
        "app.ok": "BOOLEAN",
        "app.now": "VARCHAR",
    }
    answer = client.post(
        "/api/query", json={"text": "VISUALIZE COUNT, SUM(app.result_length) WHERE app.result_length exists"}
    )
    assert answer.status_code == 200
    assert answer.get_json()["table"]["rows"] == [[1, 3]]
    trace = client.get(f"/api/traces/{TRACE}").get_json()
    root, child = trace["spans"]
    assert (root["is_root"], child["is_root"], child["trace.parent_id"]) == (True, False, "a000000000000001")
    assert root["span.kind"] == "server" and root["duration_ms"] == pytest.approx(12.5)
    assert trace["jaeger_url"].endswith(f"/trace/{TRACE}")


def test_the_json_query_form_answers_too(client):
    send(client, otlp_payload(TRACE, [("x", "a000000000000001", None, 2.0, {})]))
    answer = client.post(
        "/api/query", json={"calculations": [{"op": "P90", "field": "duration_ms"}], "since_seconds": 600}
    )
    assert answer.get_json()["table"]["rows"][0][0] == pytest.approx(2.0)
    assert answer.get_json()["text"] == "VISUALIZE P90(duration_ms) SINCE 10m"


@pytest.mark.parametrize(
    "path, body, headers, status, error",
    [
        ("/v1/traces", b"\x0a\x00", {"Content-Type": "application/x-protobuf"}, 415, "unsupported_media_type"),
        ("/v1/traces", b"{not json", {"Content-Type": "application/json"}, 400, "invalid_payload"),
        ("/v1/traces", b"[1, 2]", {"Content-Type": "application/json"}, 400, "invalid_payload"),
        (
            "/v1/traces",
            b"\x1f\x8bnot gzip",
            {"Content-Type": "application/json", "Content-Encoding": "gzip"},
            400,
            "invalid_payload",
        ),
        ("/api/query", b'{"text": "VISUALIZE P90(nope)"}', {"Content-Type": "application/json"}, 400, "invalid_query"),
        ("/api/query", b'{"text": "SELECT 1"}', {"Content-Type": "application/json"}, 400, "invalid_query"),
        ("/api/query", b"VISUALIZE COUNT", {"Content-Type": "text/plain"}, 400, "invalid_query"),
        ("/api/query", b"[" * 5000, {"Content-Type": "application/json"}, 400, "invalid_query"),
        (
            "/api/spans",
            b'{"query": {"text": "VISUALIZE COUNT"}, "narrow": {"field": "name", "range": [1, 2]}}',
            {"Content-Type": "application/json"},
            400,
            "invalid_query",
        ),
        # A group without GROUP BY, and a field that is not a name (query.narrowing).
        (
            "/api/spans",
            b'{"query": {"text": "VISUALIZE COUNT"}, "narrow": {"group": {}}}',
            {"Content-Type": "application/json"},
            400,
            "invalid_query",
        ),
        (
            "/api/spans",
            b'{"query": {"text": "VISUALIZE COUNT"}, "narrow": {"field": ["duration_ms"], "range": [1, 2]}}',
            {"Content-Type": "application/json"},
            400,
            "invalid_query",
        ),
        ("/nowhere", b"", {}, 404, "not_found"),
    ],
)
def test_bad_input_gets_a_clear_json_error(client, path, body, headers, status, error):
    response = client.post(path, data=body, headers=headers)
    assert response.status_code == status
    assert response.get_json()["error"] == error and response.get_json()["message"]


def test_an_unknown_trace_is_404(client):
    response = client.get(f"/api/traces/{TRACE}")
    assert response.status_code == 404 and response.get_json()["error"] == "trace_not_found"


def test_spans_without_ids_or_times_are_skipped_not_fatal(client):
    payload = otlp_payload(TRACE, [("ok", "a000000000000001", None, 1.0, {})])
    payload["resourceSpans"][0]["scopeSpans"][0]["spans"] += [{"name": "no ids"}, {"traceId": TRACE, "spanId": "zz"}]
    assert send(client, payload).status_code == 200
    assert client.get("/api/fields").get_json()["spans"] == 1


def test_a_failing_store_answers_503_so_the_collector_retries():
    store = SpanStore()
    client = console.create_app(store).test_client()
    store.close()
    response = send(client, otlp_payload(TRACE, [("x", "a000000000000001", None, 1.0, {})]))
    assert response.status_code == 503 and response.get_json()["error"] == "store_unavailable"


def test_the_page_and_its_chart_library_are_served_by_the_console(client):
    page = client.get("/")
    assert page.status_code == 200 and b"/static/plotly.min.js" in page.data
    script = client.get("/static/plotly.min.js")
    assert script.status_code == 200 and len(script.data) > 1_000_000 and b"plotly" in script.data[:2000].lower()
    assert client.get("/static/app.js").status_code == 200


@pytest.mark.parametrize(
    "query, complaint",
    [
        ("minutes=abc", "minutes: a number"),
        ("minutes=0", "more than 0"),
        ("minutes=100000", "at most 1440"),
        ("start=2026-11-22T11:00:00Z&end=2026-11-22T10:00:00Z", "start before end"),
        ("start=yesterday&end=today", "two times"),
        ("start=2026-11-20T00:00:00Z&end=2026-11-22T00:00:00Z", "a day at most"),
    ],
)
def test_a_bad_time_range_for_xray_is_refused_before_asking_localstack(client, query, complaint):
    response = client.get(f"/api/xray/traces?{query}")
    assert response.status_code == 400 and complaint in response.get_json()["message"]


def test_localstack_away_is_a_503_that_says_so(client, monkeypatch):
    import socket

    from console import aws

    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    aws.client.cache_clear()
    try:
        for path in ("/api/xray/groups", "/api/xray/service-graph", "/api/logs/groups"):
            response = client.get(path)
            assert response.status_code == 503, path
            assert response.get_json()["error"] == "localstack_unavailable"
    finally:
        aws.client.cache_clear()


@pytest.mark.parametrize("path, script", [("/", "app.js"), ("/xray", "xray.js"), ("/logs", "logs.js")])
def test_each_page_has_the_navigation_and_its_script(client, path, script):
    page = client.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'<a href="{path}" class="current">' in html
    assert html.count('<a href="') >= 3 and f'src="/static/{script}"' in html and 'src="/static/common.js"' in html


@pytest.mark.parametrize("path", ["/", "/xray", "/logs", "/api/fields", "/static/app.js"])
def test_every_answer_forbids_inline_scripts_and_other_origins(client, path):
    headers = client.get(path).headers
    policy = dict(part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";"))
    assert policy["script-src"] == "'self'" and policy["default-src"] == "'self'"
    assert policy["object-src"] == "'none'" and headers["X-Content-Type-Options"] == "nosniff"


def test_no_page_script_parses_strings_as_html():
    # Telemetry reaches the pages as data; the scripts build elements (common.js's el) instead.
    static = Path(console.__file__).with_name("static")
    for script in static.glob("*.js"):
        code = script.read_text()
        found = re.findall(r"\.(innerHTML|outerHTML|insertAdjacentHTML)\b|document\.write", code)
        assert found == [], f"{script.name}: {found}"


def test_a_trace_gives_each_span_its_self_time_and_whether_it_is_on_the_critical_path(client):
    base = time.time_ns() - 5_000_000_000

    def span(name, span_id, parent, start_ms, end_ms, attributes=()):
        return {"traceId": TRACE, "spanId": span_id, **({"parentSpanId": parent} if parent else {}), "name": name,
                "startTimeUnixNano": str(base + int(start_ms * 1e6)), "endTimeUnixNano": str(base + int(end_ms * 1e6)),
                "attributes": [{"key": k, "value": {"stringValue": v}} for k, v in attributes]}  # fmt: skip

    payload = {"resourceSpans": [{"resource": {}, "scopeSpans": [{"spans": [
        span("server", "c000000000000001", None, 0, 100),
        span("fast", "c000000000000002", "c000000000000001", 10, 30),
        # A sender's attribute named like a computed field keeps its value under another name.
        span("slow", "c000000000000003", "c000000000000001", 10, 80, [("critical", "no")]),
    ]}]}]}  # fmt: skip
    assert send(client, payload).status_code == 200
    spans = {s["name"]: s for s in client.get(f"/api/traces/{TRACE}").get_json()["spans"]}
    assert {name: s["critical"] for name, s in spans.items()} == {"server": True, "fast": False, "slow": True}
    assert spans["server"]["self_ms"] == pytest.approx(30, abs=0.01)
    assert spans["slow"]["critical_ms"] == pytest.approx(70, abs=0.01)
    assert spans["slow"]["critical (attribute)"] == "no"


def test_two_traces_compare_as_one_tree_with_the_biggest_difference_first(client):
    fast, slow = "6b0264d1a3f5c2e4b1d0c9a8f7e60001", "6b0264d1a3f5c2e4b1d0c9a8f7e60002"
    for trace_id, lookup_ms in ((fast, 4.0), (slow, 205.0)):
        prefix = trace_id[-4:]
        send(client, otlp_payload(trace_id, [
            ("GET /api/activities/@<handle>", f"{prefix}000000000001", None, lookup_ms + 8, {}),
            ("user-activities", f"{prefix}000000000002", f"{prefix}000000000001", 1.0, {}),
        ]))  # fmt: skip
        send(client, otlp_payload(trace_id, [
            ("GET /users/@<handle>", f"{prefix}000000000003", f"{prefix}000000000001", lookup_ms, {}),
        ], service="users-api"))  # fmt: skip
    answer = client.get(f"/api/compare?a={fast}&b={slow.upper()}").get_json()
    assert (answer["a"], answer["b"]) == (fast, slow)
    assert [row["name"] for row in answer["rows"]][0] == "GET /api/activities/@<handle>"
    below_root = [d for d in answer["differences"] if d["depth"] > 0]
    assert (below_root[0]["service"], below_root[0]["diff_ms"]) == ("users-api", 201.0)


@pytest.mark.parametrize(
    "query_string, status",
    [("a=6b0264d1a3f5c2e4b1d0c9a8f7e60001", 400), ("a=x&b=y", 400), ("a=<script>&b=1", 400),
     ("a=6b0264d1a3f5c2e4b1d0c9a8f7e60001&b=6b0264d1a3f5c2e4b1d0c9a8f7e60002", 404)],
)  # fmt: skip
def test_compare_needs_two_trace_ids_that_are_in_the_store(client, query_string, status):
    response = client.get(f"/api/compare?{query_string}")
    assert response.status_code == status and response.get_json()["message"]
