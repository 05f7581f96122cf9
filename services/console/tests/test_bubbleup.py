"""BubbleUp over a real (in-memory) DuckDB store: the field that sets the selection apart comes
first, the shares are right, and bad selections get clear errors."""

import random
import time

import pytest

from console import otlp
from console.bubbleup import _tvd, bubbleup
from console.query import QueryError, from_json
from console.store import SpanStore

USERS = ["garek", "worf", "coco", "bayko", "andrewbrown"]
QUERY = {"calculations": [{"op": "HEATMAP", "field": "duration_ms"}],
         "filters": [{"field": "name", "op": "=", "value": "GET /users/@<handle>"}], "since_seconds": 3600}  # fmt: skip


def _store(spans_per_user=40, seed=7) -> SpanStore:
    """users-api lookups: garek's take 250-300 ms, everyone else's 1-20 ms; noise fields alike."""
    rng, store, spans = random.Random(seed), SpanStore(), []
    now = time.time_ns() - 60 * 10**9
    for user in USERS:
        for _ in range(spans_per_user):
            ms = rng.uniform(250, 300) if user == "garek" else rng.uniform(1, 20)
            start = now + rng.randint(0, 30 * 10**9)
            attributes = {"url.path": f"/users/@{user}", "app.user.handle": user,
                          "client.port": rng.randint(30000, 60000), "http.response.status_code": 200,
                          "app.cache.hit": rng.random() < 0.5}  # fmt: skip
            encoded = [{"key": k, "value": otlp_value(v)} for k, v in attributes.items()]
            spans.append({"traceId": f"{rng.getrandbits(128):032x}", "spanId": f"{rng.getrandbits(64):016x}",
                          "name": "GET /users/@<handle>", "kind": 2, "startTimeUnixNano": str(start),
                          "endTimeUnixNano": str(start + int(ms * 1e6)), "attributes": encoded})  # fmt: skip
    payload = {"resourceSpans": [{"resource": {"attributes": [{"key": "service.name",
               "value": {"stringValue": "users-api"}}]}, "scopeSpans": [{"spans": spans}]}]}  # fmt: skip
    store.ingest(list(otlp.rows(payload)))
    return store


def otlp_value(value):
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    return {"stringValue": value}


@pytest.fixture(scope="module")
def store():
    return _store()


def test_the_slow_band_is_explained_by_the_slowed_users_handle(store):
    answer = bubbleup(store, from_json(QUERY), {"field": "duration_ms", "range": [200, 1000]})
    assert (answer["selected"], answer["baseline"]) == (40, 160)
    top = answer["fields"][:2]
    assert {f["field"] for f in top} == {"app.user.handle", "url.path"}
    handle = next(f for f in answer["fields"] if f["field"] == "app.user.handle")
    assert handle["score"] == 1.0
    assert handle["selection"][0] == {"value": "garek", "fraction": 1.0}
    baseline = {v["value"]: v["fraction"] for v in handle["baseline"]}
    assert baseline["garek"] == 0 and baseline["worf"] == pytest.approx(0.25)
    # Fields that do not tell the two apart score low; the selection's own field is left out.
    noise = {f["field"]: f["score"] for f in answer["fields"]}
    assert noise["app.cache.hit"] < 0.3 and noise["http.response.status_code"] == 0
    assert "duration_ms" not in noise and "trace.trace_id" not in noise


def test_numbers_with_many_values_are_compared_as_histograms_over_the_same_bins(store):
    answer = bubbleup(store, from_json(QUERY), {"field": "duration_ms", "range": [200, 1000]})
    port = next(f for f in answer["fields"] if f["field"] == "client.port")
    assert port["kind"] == "histogram" and len(port["edges"]) == 17
    assert [v["value"] for v in port["selection"]] == [v["value"] for v in port["baseline"]]
    assert sum(v["fraction"] for v in port["selection"]) == pytest.approx(1.0)


def test_a_group_of_the_results_table_is_a_selection_too(store):
    query = {**QUERY, "calculations": [{"op": "COUNT"}], "group_by": ["app.user.handle"]}
    answer = bubbleup(store, from_json(query), {"group": {"app.user.handle": "worf"}})
    assert answer["selected"] == 40
    fields = {f["field"]: f for f in answer["fields"]}
    assert "app.user.handle" not in fields  # it makes the selection
    assert fields["url.path"]["score"] == 1.0
    duration = fields["duration_ms"]
    assert duration["kind"] == "histogram" and duration["score"] > 0.1  # worf's are fast, garek's slow


def test_a_large_baseline_is_sampled_the_same_way_in_every_statement(monkeypatch):
    import console.bubbleup as module

    monkeypatch.setattr(module, "SAMPLE_ABOVE", 50)
    answer = bubbleup(_store(), from_json(QUERY), {"field": "duration_ms", "range": [200, 1000]})
    assert answer["baseline"] == 160 and 10 < answer["baseline_sampled"] < 120
    handle = next(f for f in answer["fields"] if f["field"] == "app.user.handle")
    assert sum(v["fraction"] for v in handle["baseline"]) == pytest.approx(1.0)
    assert handle["score"] == 1.0


@pytest.mark.parametrize(
    "selection, message",
    [(None, "selection:"), ({"field": "nope", "range": [1, 2]}, "unknown or not numeric"),
     ({"field": "name", "range": [1, 2]}, "unknown or not numeric"), ({"field": "duration_ms"}, "[low, high]"),
     ({"field": "duration_ms", "range": ["a", 2]}, "not a double"), ({"group": {"x": 1}}, "GROUP BY"),
     ({"field": "duration_ms", "range": [1, 2], "time": "now"}, "selection.time")],
)  # fmt: skip
def test_a_bad_selection_says_what_is_wrong(store, selection, message):
    with pytest.raises(QueryError, match=message.replace("[", r"\[")):
        bubbleup(store, from_json(QUERY), selection)


def test_an_empty_side_scores_nothing(store):
    answer = bubbleup(store, from_json(QUERY), {"field": "duration_ms", "range": [5000, 6000]})
    assert answer["selected"] == 0 and answer["fields"] == []


def test_total_variation_distance():
    assert _tvd({"a": 5}, {"a": 10}, (5, 10)) == 0
    assert _tvd({"a": 5}, {"b": 10}, (5, 10)) == 1
    assert _tvd({"a": 1, "b": 1}, {"a": 1, "b": 3}, (2, 4)) == pytest.approx(0.25)
