"""Spans that no one here wrote, through the real collector into the console: keys that differ
only by case (they made the console refuse whole batches, which the collector then lost), keys
named like the console's derived fields, thousands of distinct keys, every OTLP value type and a
string of megabytes. Every span sent is stored; what cannot be kept whole is capped and counted."""

import os
import time

import pytest
import requests

from .lab import eventually

pytestmark = pytest.mark.integration

KEYS_PER_SPAN = 400


def _attributes(i: int) -> list[dict]:
    values = [
        ("Probe.Key", {"stringValue": f"upper {i}"}),
        ("probe.key", {"stringValue": f"lower {i}"}),
        ("name", {"stringValue": "an attribute called name"}),
        ("duration_ms", {"doubleValue": 1e9}),
        ("trace.trace_id", {"intValue": "7"}),
        ("error", {"boolValue": True}),
        ("ключ 键 🔑", {"arrayValue": {"values": [{"intValue": "1"}, {"stringValue": "two"}]}}),
        ("a \"quoted\" 'key'; DROP TABLE spans; --",
         {"kvlistValue": {"values": [{"key": "k", "value": {"boolValue": False}}]}}),
        ("bytes", {"bytesValue": "AAEC"}),
    ]  # fmt: skip
    values += [(f"probe.{i}.{j}", {"intValue": str(j)}) for j in range(KEYS_PER_SPAN)]
    return [{"key": key, "value": value} for key, value in values]


def test_every_span_sent_through_the_collector_is_stored(lab):
    trace_id, now, huge = os.urandom(16).hex(), time.time_ns(), "x" * (2 * 1024 * 1024)
    capped_before = requests.get(f"{lab.console}/api/fields", timeout=10).json()["capped"]
    spans = [
        {"traceId": trace_id, "spanId": os.urandom(8).hex(), "name": f"probe {i}", "kind": 1,
         "startTimeUnixNano": str(now - 10**7), "endTimeUnixNano": str(now), "attributes": _attributes(i)}
        for i in range(10)
    ]  # fmt: skip
    spans[0]["attributes"].append({"key": "huge", "value": {"stringValue": huge}})
    resource = [{"key": "service.name", "value": {"stringValue": "hostile-sdk"}},
                {"key": "Service.Name", "value": {"stringValue": "another case"}}]  # fmt: skip
    # Two requests a tenth of a second apart, as in the report: both were lost.
    for half in (spans[:5], spans[5:]):
        lab.send_spans(half, resource)
        time.sleep(0.1)

    def stored():
        answer = requests.get(f"{lab.console}/api/traces/{trace_id}", timeout=10)
        return answer.json()["spans"] if answer.ok and len(answer.json()["spans"]) == len(spans) else None

    found = {span["name"]: span for span in eventually(stored, "every span sent, in the console", timeout=60)}
    assert set(found) == {f"probe {i}" for i in range(10)}  # sent == stored
    for i, span in ((i, found[f"probe {i}"]) for i in range(10)):
        assert (span["Probe.Key"], span["probe.key"]) == (f"upper {i}", f"lower {i}")
        assert span["name (attribute)"] == "an attribute called name" and span["duration_ms"] < 1e3
        assert span["error (attribute)"] is True and span["trace.trace_id (attribute)"] == 7
        assert span["ключ 键 🔑"] == '[1, "two"]' and span[f"probe.{i}.{KEYS_PER_SPAN - 1}"] == KEYS_PER_SPAN - 1
        assert (span["service.name"], span["Service.Name"]) == ("hostile-sdk", "another case")
    assert len(found["probe 0"]["huge"]) == 64 * 1024
    capped = requests.get(f"{lab.console}/api/fields", timeout=10).json()["capped"]
    assert capped.get("strings cut to 64 KiB", 0) == capped_before.get("strings cut to 64 KiB", 0) + 1

    # And every key can be asked for.
    filters = [{"field": "Probe.Key", "op": "starts-with", "value": "upper"},
               {"field": "trace.trace_id", "op": "=", "value": trace_id}]  # fmt: skip
    query = {"calculations": [{"op": "SUM", "field": "probe.9.399"}], "filters": filters, "since_seconds": 3600}
    assert requests.post(f"{lab.console}/api/query", json=query, timeout=30).json()["table"]["rows"] == [[399]]
