"""The scale drill's own logic (scripts/scale_drill.py): the traces it sends are of the kind it
counts them as, and its verdict allows the ingester's decision window and nothing else."""

import pytest
import scale_drill


def _root(body: dict) -> dict:
    [resource] = body["resourceSpans"]
    [scope] = resource["scopeSpans"]
    return next(span for span in scope["spans"] if "parentSpanId" not in span)


@pytest.mark.parametrize("kind", scale_drill.KINDS)
def test_each_kind_of_trace_is_what_tail_sampling_sees(kind):
    trace_id, body = scale_drill.trace(kind, slow_ms=500)
    root = _root(body)
    duration_ms = (int(root["endTimeUnixNano"]) - int(root["startTimeUnixNano"])) / 1e6
    assert root["traceId"] == trace_id and len(trace_id) == 32
    assert (root["status"].get("code") == 2) == (kind == "error")
    # The latency policy keeps a trace longer than the threshold: slow ones are, the others are far from it.
    assert (duration_ms > 500) == (kind == "slow")
    assert all(span["traceId"] == trace_id for span in body["resourceSpans"][0]["scopeSpans"][0]["spans"])


def test_every_trace_has_its_own_id():
    assert len({scale_drill.trace("ordinary", 500)[0] for _ in range(100)}) == 100


@pytest.mark.parametrize(("text", "seconds"), [("5s", 5), ("500ms", 0.5), ("1m", 60), ("2.5s", 2.5)])
def test_durations_as_env_writes_them(text, seconds):
    assert scale_drill.parse_seconds(text) == seconds


@pytest.mark.parametrize("text", ["5", "s", "5h", "-1s", "5 s"])
def test_a_duration_it_cannot_read_is_an_error(text):
    with pytest.raises(ValueError, match="not a duration"):
        scale_drill.parse_seconds(text)


def _result(lost_during: dict[str, dict[str, int]]) -> dict:
    return {"lost_during": {kind: lost_during.get(kind, {}) for kind in scale_drill.PROMISED}}


def test_the_verdict_allows_the_ingesters_decision_window_only(monkeypatch):
    monkeypatch.setenv("SAMPLING_DECISION_WAIT", "5s")
    window = scale_drill.decision_window(rate=6)  # (5 + 1) s x 2 traces of a kind per second, + 1
    assert window == 13
    ingester = scale_drill.INGESTER
    assert scale_drill.unexpected_losses(_result({}), rate=6) == {}
    assert scale_drill.unexpected_losses(_result({"error": {ingester: window}}), rate=6) == {}
    assert scale_drill.unexpected_losses(_result({"error": {ingester: window + 1}}), rate=6) == {
        "error": {ingester: window + 1}
    }
    # Kafka, OpenSearch or any other time: not one.
    for phase in ("kafka", "opensearch", "another time"):
        assert scale_drill.unexpected_losses(_result({"slow": {phase: 1}}), rate=6) == {"slow": {phase: 1}}


def test_a_lost_trace_counts_for_the_part_whose_window_it_was_sent_in_the_later_one_if_two():
    windows = {"kafka": (10.0, 20.0), scale_drill.INGESTER: (18.0, 30.0)}
    times = {"a": 12, "b": 19, "c": 25, "d": 40, "e": 5}
    sent = [{"otel_trace_id": name, "sent_at": at} for name, at in times.items()]
    assert scale_drill.lost_during(sent, {"a", "b", "c", "d"}, windows) == {
        "kafka": 1, scale_drill.INGESTER: 2, "another time": 1,
    }  # fmt: skip
