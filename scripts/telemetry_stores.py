"""Reading back what the lab's AWS-side stores hold, by trace id: shared by `make bench`'s
freshness section and the restart drill."""

import json
from collections.abc import Iterable

from xray_tree import sent_by


def logged_otel_trace_ids(logs, group: str, since_ms: int) -> set[str]:
    """The OpenTelemetry trace ids of the request lines in a CloudWatch log group since a time.
    (LocalStack's filter patterns are unreliable, so every line is read and parsed here.)"""
    found = set()
    for page in logs.get_paginator("filter_log_events").paginate(logGroupName=group, startTime=since_ms):
        for event in page["events"]:
            otel_id = json.loads(event["message"]).get("otel_trace_id")
            if otel_id:
                found.add(otel_id)
    return found


def xray_tracers(xray, trace_ids: Iterable[str]) -> dict[str, set[str]]:
    """{X-Ray trace id: the tracers (OPENTELEMETRY, XRAY_SDK) that sent it segments}, for the
    given ids that X-Ray has."""
    ids, tracers = list(trace_ids), {}
    for start in range(0, len(ids), 5):  # BatchGetTraces takes 5 ids at most
        for trace in xray.batch_get_traces(TraceIds=ids[start : start + 5])["Traces"]:
            tracers[trace["Id"]] = {sent_by(json.loads(segment["Document"])) for segment in trace["Segments"]}
    return tracers
