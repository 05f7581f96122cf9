"""Spans no one here wrote, through the console's OTLP endpoint in-process (a real in-memory
DuckDB store): whatever a well-formed span carries, it is stored and can be asked for, and what
cannot be kept whole is capped and counted. That the real collector's batches arrive the same way
is tests/integration/test_console_ingest.py's job."""

import json
import os
import time

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import console
from console.otlp import FIXED_FIELDS
from console.store import MAX_TEXT_CHARS, SpanStore

INT64 = st.integers(-(2**63), 2**63 - 1)
# Keys that broke or could break a column per key: case clashes, the derived fields' names,
# SQL and JSON punctuation, other scripts, spaces.
KEYS = st.one_of(
    st.sampled_from(["Probe.Key", "probe.key", "PROBE.KEY", "name", "error", "duration_ms", "trace.trace_id",
                     "service.name", 'a"b', "a'b", "a]b", "", " ", "ключ", "键", "k\\", "attrs_str", "*"]),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=16),
)  # fmt: skip
SCALARS = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=40).map(lambda v: ("stringValue", v, v)),
    INT64.map(lambda v: ("intValue", str(v), v)),
    st.floats(allow_nan=False, allow_infinity=False).map(lambda v: ("doubleValue", v, v)),
    st.booleans().map(lambda v: ("boolValue", v, v)),
)


def _any_value(kind: str, wire) -> dict:
    return {kind: wire}


@st.composite
def values(draw):
    """(OTLP AnyValue, what the store gives back)."""
    shape = draw(st.sampled_from(["scalar", "scalar", "scalar", "array", "kvlist"]))
    if shape == "scalar":
        kind, wire, expected = draw(SCALARS)
        return _any_value(kind, wire), expected
    items = draw(st.lists(SCALARS, max_size=3))
    if shape == "array":
        wire = {"values": [_any_value(kind, w) for kind, w, _ in items]}
        return {"arrayValue": wire}, json.dumps([e for _, _, e in items], ensure_ascii=False)
    keys = draw(st.lists(st.text(max_size=5), min_size=len(items), max_size=len(items), unique=True))
    wire = {"values": [{"key": k, "value": _any_value(kind, w)} for k, (kind, w, _) in zip(keys, items, strict=True)]}
    return {"kvlistValue": wire}, json.dumps(
        {k: e for k, (_, _, e) in zip(keys, items, strict=True)}, ensure_ascii=False
    )


ATTRIBUTES = st.dictionaries(KEYS.filter(bool), values(), max_size=8)


def _wire(attributes: dict) -> list[dict]:
    return [{"key": key, "value": value} for key, (value, _) in attributes.items()]


@st.composite
def batches(draw):
    """An ExportTraceServiceRequest of 1 to 3 resources with 1 to 4 spans each, and per span
    the attributes the store must give back."""
    now, expected, resources = time.time_ns(), {}, []
    for _ in range(draw(st.integers(1, 3))):
        resource = draw(ATTRIBUTES)
        spans = []
        for _ in range(draw(st.integers(1, 4))):
            attributes, span_id = draw(ATTRIBUTES), os.urandom(8).hex()
            spans.append({"traceId": os.urandom(16).hex(), "spanId": span_id, "name": draw(st.text(max_size=20)),
                          "kind": 2, "startTimeUnixNano": str(now - 10**9), "endTimeUnixNano": str(now),
                          "attributes": _wire(attributes)})  # fmt: skip
            expected[span_id] = (spans[-1]["traceId"], {k: e for k, (_, e) in {**resource, **attributes}.items()})
        resources.append({"resource": {"attributes": _wire(resource)}, "scopeSpans": [{"spans": spans}]})
    return {"resourceSpans": resources}, expected


def _shown(key: str) -> str:
    return f"{key} (attribute)" if key in FIXED_FIELDS else key


def _same(found, expected) -> bool:
    if isinstance(expected, str) and isinstance(found, str) and expected[:1] in "[{":
        try:
            return json.loads(found) == json.loads(expected)
        except ValueError:
            pass
    return found == expected and type(found) is type(expected)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches())
def test_every_well_formed_span_is_stored_with_every_attribute(batch):
    payload, expected = batch
    client = console.create_app(SpanStore()).test_client()
    response = client.post("/v1/traces", json=payload)
    assert response.status_code == 200 and response.get_json() == {}, response.get_data(as_text=True)
    for span_id, (trace_id, attributes) in expected.items():
        [span] = [s for s in client.get(f"/api/traces/{trace_id}").get_json()["spans"] if s["trace.span_id"] == span_id]
        for key, value in attributes.items():
            assert _same(span.get(_shown(key)), value), (key, span.get(_shown(key)), value)
    # Every attribute key is a field, and asking for it finds the spans that have it.
    fields = client.get("/api/fields").get_json()["fields"]
    keys = {key for _, attributes in expected.values() for key in attributes if key not in FIXED_FIELDS}
    for key in list(keys)[:5]:
        having = sum(key in attributes for _, attributes in expected.values())
        query = {"calculations": [{"op": "COUNT"}], "filters": [{"field": key, "op": "exists"}], "since_seconds": 3600}
        answer = client.post("/api/query", json=query)
        assert key in fields and answer.get_json()["table"]["rows"] == [[having]], (key, answer.get_json())


def _span(trace_id: str, attributes: list[dict], **fields) -> dict:
    now = time.time_ns()
    times = {"startTimeUnixNano": str(now - 10**6), "endTimeUnixNano": str(now)}
    return {"traceId": trace_id, "spanId": os.urandom(8).hex(), "name": "probe", "kind": 2, **times,
            "attributes": attributes, **fields}  # fmt: skip


def _post(client, spans: list[dict], resource: list[dict] | None = None):
    body = {"resourceSpans": [{"resource": {"attributes": resource or []}, "scopeSpans": [{"spans": spans}]}]}
    return client.post("/v1/traces", json=body)


@pytest.fixture
def client():
    return console.create_app(SpanStore()).test_client()


def _text(key: str, value: str) -> dict:
    return {"key": key, "value": {"stringValue": value}}


def test_keys_that_differ_only_by_case_are_two_fields_even_in_separate_batches(client):
    # The report: Probe.Key after probe.key made the store answer 503 to the whole batch, forever.
    trace_id = os.urandom(16).hex()
    assert _post(client, [_span(trace_id, [_text("probe.key", "lower")])]).get_json() == {}
    assert _post(client, [_span(trace_id, [_text("Probe.Key", "upper")])]).get_json() == {}
    values = {
        s.get("probe.key") or s.get("Probe.Key") for s in client.get(f"/api/traces/{trace_id}").get_json()["spans"]
    }
    assert values == {"lower", "upper"}
    fields = client.get("/api/fields").get_json()["fields"]
    assert fields["probe.key"] == fields["Probe.Key"] == "VARCHAR"


def test_tens_of_thousands_of_distinct_keys_are_kept(client):
    trace_id = os.urandom(16).hex()
    spans = [_span(trace_id, [{"key": f"k{i}.{j}", "value": {"intValue": str(j)}} for j in range(500)])
             for i in range(40)]  # fmt: skip
    assert _post(client, spans).get_json() == {}
    fields = client.get("/api/fields").get_json()["fields"]
    assert sum(key.startswith("k") for key in fields) == 20_000
    answer = client.post("/api/query", json={"calculations": [{"op": "SUM", "field": "k39.499"}], "since_seconds": 60})
    assert answer.get_json()["table"]["rows"] == [[499]]


def test_what_cannot_be_kept_whole_is_capped_and_counted(client):
    trace_id, huge = os.urandom(16).hex(), "x" * (3 * 1024 * 1024)
    many = [{"key": f"a{j}", "value": {"boolValue": True}} for j in range(1500)]
    assert _post(client, [_span(trace_id, [_text("big", huge), *many], name=huge)]).get_json() == {}
    [span] = client.get(f"/api/traces/{trace_id}").get_json()["spans"]
    assert len(span["big"]) == len(span["name"]) == MAX_TEXT_CHARS
    capped = client.get("/api/fields").get_json()["capped"]
    assert capped == {"strings cut to 64 KiB": 2, "attributes past 1000 a span": 501}


def test_a_span_that_is_not_one_is_refused_alone(client):
    trace_id = os.urandom(16).hex()
    spans = [_span(trace_id, []), {"traceId": trace_id, "name": "no span id"}, _span(trace_id, [])]
    answer = _post(client, spans)
    assert answer.status_code == 200
    assert answer.get_json()["partialSuccess"]["rejectedSpans"] == 1
    assert len(client.get(f"/api/traces/{trace_id}").get_json()["spans"]) == 2


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1, 2]", b'{"resourceSpans": 3}', b'{"resourceSpans": [{"resource": [], "scopeSpans": 7}]}'],
)
def test_a_request_that_can_never_succeed_is_400_and_one_that_only_looks_odd_is_taken(client, body):
    answer = client.post("/v1/traces", data=body, content_type="application/json")
    assert answer.status_code == (200 if body.startswith(b'{"resourceSpans": [') else 400), answer.get_json()


def test_a_store_with_a_column_per_key_is_moved_into_the_maps_on_open(tmp_path):
    # The console's store before the maps: fixed columns plus one typed column per key.
    path = str(tmp_path / "spans.duckdb")
    db = duckdb.connect(path)
    columns = ", ".join(f'"{name}" {kind}' for name, kind in FIXED_FIELDS.items())
    db.execute(
        f'CREATE TABLE spans ({columns}, "app.count" BIGINT, "app.ratio" DOUBLE, "app.ok" BOOLEAN, "app.who" VARCHAR)'
    )
    db.execute(
        'INSERT INTO spans (timestamp, duration_ms, "trace.trace_id", "trace.span_id", name, "service.name", '
        '"app.count", "app.ratio", "app.who") '
        "VALUES (now()::TIMESTAMP, 3, 'ab', 'cd', 'old', 'svc', 7, 0.5, 'worf')"
    )
    db.close()
    store = SpanStore(path)
    assert {k: v for k, v in store.fields().items() if k.startswith("app.")} == {
        "app.count": "BIGINT", "app.ratio": "DOUBLE", "app.ok": "BOOLEAN", "app.who": "VARCHAR"}  # fmt: skip
    client = console.create_app(store).test_client()
    [span] = client.get("/api/traces/ab").get_json()["spans"]
    assert (span["app.count"], span["app.ratio"], span["app.who"], "app.ok" in span) == (7, 0.5, "worf", False)


def test_the_field_list_is_bounded_and_says_what_it_left_out():
    store = SpanStore(max_fields=20)
    client = console.create_app(store).test_client()
    trace_id = os.urandom(16).hex()
    attributes = [{"key": f"k{j}", "value": {"intValue": str(j)}} for j in range(30)]
    assert _post(client, [_span(trace_id, attributes)]).get_json() == {}
    answer = client.get("/api/fields").get_json()
    assert sum(key.startswith("k") for key in answer["fields"]) == 20
    assert answer["capped"] == {"keys past the 20 the field list holds": 10}
    [span] = client.get(f"/api/traces/{trace_id}").get_json()["spans"]
    assert span["k29"] == 29  # the span keeps every attribute; only the list of fields is bounded
