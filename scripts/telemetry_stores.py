"""Reading back what the lab's stores hold, by trace id ("is this trace in Jaeger / the console /
X-Ray / CloudWatch Logs yet?"): shared by `make bench`'s freshness section and the drills."""

import json
from collections.abc import Iterable, Iterator

import requests

from xray_tree import sent_by


def in_jaeger(jaeger: str, trace_ids: Iterable[str], timeout: float = 10) -> set[str]:
    """The trace ids Jaeger's query API answers with spans for (either profile's Jaeger)."""
    found = set()
    for trace_id in trace_ids:
        response = requests.get(f"{jaeger}/api/traces/{trace_id}", timeout=timeout)
        if response.status_code == 200 and response.json().get("data"):
            found.add(trace_id)
    return found


def in_console(console: str, trace_ids: Iterable[str], timeout: float = 10) -> set[str]:
    """The trace ids the console's store has spans of."""
    return {i for i in trace_ids if requests.get(f"{console}/api/traces/{i}", timeout=timeout).status_code == 200}


def request_lines(logs, group: str, since_ms: int = 0) -> Iterator[tuple[str, dict]]:
    """(stream, line) of every request line in a CloudWatch log group since a time. (LocalStack's
    filter patterns are unreliable, so every line is read and parsed here.) Anyone may write to
    the group: a line that is not a JSON object is no request line, and is passed over."""
    for page in logs.get_paginator("filter_log_events").paginate(logGroupName=group, startTime=since_ms):
        for event in page["events"]:
            try:
                line = json.loads(event["message"])
            except (ValueError, RecursionError):
                continue
            if isinstance(line, dict):
                yield event["logStreamName"], line


def logged_otel_trace_ids(logs, group: str, since_ms: int) -> set[str]:
    """The OpenTelemetry trace ids of the request lines in a CloudWatch log group since a time."""
    ids = (line.get("otel_trace_id") for _, line in request_lines(logs, group, since_ms))
    return {trace_id for trace_id in ids if isinstance(trace_id, str) and trace_id}


def xray_tracers(xray, trace_ids: Iterable[str]) -> dict[str, set[str]]:
    """{X-Ray trace id: the tracers (OPENTELEMETRY, XRAY_SDK) that sent it segments}, for the
    given ids that X-Ray has."""
    ids, tracers = list(trace_ids), {}
    for start in range(0, len(ids), 5):  # BatchGetTraces takes 5 ids at most
        for trace in xray.batch_get_traces(TraceIds=ids[start : start + 5])["Traces"]:
            tracers[trace["Id"]] = {sent_by(json.loads(segment["Document"])) for segment in trace["Segments"]}
    return tracers
