"""Centralized sampling: a rule created through LocalStack's X-Ray API reaches the X-Ray SDK
(which polls it through the daemon's sampling proxy) and decides which requests become
segments. The request lines in CloudWatch Logs say, per request, whether X-Ray sampled it."""

import json
import time

import pytest
import requests

from .lab import XRAY_SDK, eventually, new_ids, request_lines, sent_by

pytestmark = pytest.mark.integration

PATH = "/api/activities/notifications"
STOP_RULE = {
    "RuleName": "StopNotifications",
    "Priority": 1,
    "FixedRate": 0.0,
    "ReservoirSize": 0,
    "ServiceName": "backend-flask",
    "ServiceType": "*",
    "Host": "*",
    "HTTPMethod": "*",
    "URLPath": PATH,
    "ResourceARN": "*",
    "Version": 1,
}


def request_line(lab) -> dict:
    """Send one request the SDK decides about (no X-Amzn-Trace-Id header); its request line."""
    ids = new_ids()
    headers = {"traceparent": ids["headers"]["traceparent"]}
    requests.get(f"{lab.backend}{PATH}", headers=headers, timeout=10).raise_for_status()
    [(_, line)] = request_lines(lab, {ids["otel_trace_id"]}, 1, timeout=30)
    return line


def sdk_segments_since(lab, since: float) -> list[dict]:
    xray = lab.xray()
    summaries = xray.get_trace_summaries(
        StartTime=since, EndTime=time.time() + 60, FilterExpression=f'http.url CONTAINS "{PATH}"'
    )["TraceSummaries"]
    ids = [summary["Id"] for summary in summaries]
    documents = []
    for start in range(0, len(ids), 5):
        for trace in xray.batch_get_traces(TraceIds=ids[start : start + 5])["Traces"]:
            documents += [json.loads(s["Document"]) for s in trace["Segments"]]
    return [doc for doc in documents if sent_by(doc) == XRAY_SDK and doc["start_time"] >= since]


def test_a_rule_with_no_reservoir_and_no_rate_stops_segments_until_it_is_removed(lab):
    xray = lab.xray()
    xray.create_sampling_rule(SamplingRule=STOP_RULE)
    try:
        # The SDK fetches rules again when a target poll reports a newer modification (~10 s).
        eventually(
            lambda: request_line(lab)["xray_sampled"] is False, "the SDK to apply the new rule", timeout=90, interval=2
        )
        since = time.time()
        lines = [request_line(lab) for _ in range(5)]
        assert [line["xray_sampled"] for line in lines] == [False] * 5
        assert sdk_segments_since(lab, since) == []
    finally:
        xray.delete_sampling_rule(RuleName=STOP_RULE["RuleName"])

    # Without the rule, the exercise's Cruddur rule (5 per second) samples the path again.
    line = eventually(
        lambda: (line := request_line(lab))["xray_sampled"] and line, "sampling to resume", timeout=90, interval=2
    )
    segment = lab.xray_documents(line["xray_trace_id"], {"backend-flask"})["backend-flask"]
    assert segment["http"]["request"]["url"].endswith(PATH)
