"""The console's window on the lab's AWS side: X-Ray and CloudWatch Logs as LocalStack serves
them, through boto3, the way the AWS console would call them. Every call maps failures to
AwsError: the service's own message (400) for a bad request, 503 when LocalStack does not
answer; the next call tries again, so the pages recover when LocalStack is back."""

import json
import os
from datetime import UTC, datetime
from functools import cache

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

LOG_EVENTS_LIMIT = 500
TRACE_SUMMARIES_LIMIT = 100


class AwsError(RuntimeError):
    def __init__(self, status: int, code: str, message: str, location: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.location = status, code, message, location


@cache
def client(service: str):
    return boto3.client(
        service,
        endpoint_url=os.environ.get("AWS_ENDPOINT_URL", "http://localstack:4566"),
        region_name=os.environ.get("AWS_REGION", "us-east-1"),
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
        config=Config(connect_timeout=2, read_timeout=15, retries={"max_attempts": 1}),
    )


def call(service: str, operation: str, **params) -> dict:
    try:
        return getattr(client(service), operation)(**params)
    except ClientError as error:
        details = error.response.get("Error", {})
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400)
        code, message = details.get("Code", "ClientError"), details.get("Message") or str(error)
        # A malformed Logs Insights query says where: {"startCharOffset", "endCharOffset"}.
        location = (error.response.get("queryCompileError") or {}).get("location")
        raise AwsError(400 if status < 500 else 502, code, message, location) from None
    except (EndpointConnectionError, BotoCoreError) as error:
        message = f"LocalStack does not answer ({type(error).__name__}); is it up? The page retries."
        raise AwsError(503, "localstack_unavailable", message) from None


def sent_by(document: dict) -> str:
    """Which tracer sent a segment: the collector's exporter names OpenTelemetry as the SDK."""
    sdk = ((document.get("aws") or {}).get("xray") or {}).get("sdk", "")
    return "OpenTelemetry" if "opentelemetry" in str(sdk).lower() else "X-Ray SDK"


# --- X-Ray ---


def service_graph(start: datetime, end: datetime, group: str | None) -> dict:
    params = {"StartTime": start, "EndTime": end}
    if group:
        params["GroupName"] = group
    return {"services": _jsonable(call("xray", "get_service_graph", **params)["Services"])}


def trace_summaries(start: datetime, end: datetime, expression: str | None) -> dict:
    params = {"StartTime": start, "EndTime": end, "Sampling": False}
    if expression:
        params["FilterExpression"] = expression
    answer = call("xray", "get_trace_summaries", **params)
    found = answer["TraceSummaries"]
    # Only the first page, and of it the first TRACE_SUMMARIES_LIMIT: the page says when it stops.
    return {"summaries": _jsonable(found[:TRACE_SUMMARIES_LIMIT]),
            "processed": answer.get("TracesProcessedCount", 0),
            "limit": TRACE_SUMMARIES_LIMIT,
            "truncated": len(found) > TRACE_SUMMARIES_LIMIT or bool(answer.get("NextToken"))}  # fmt: skip


def groups() -> dict:
    return {"groups": _jsonable(call("xray", "get_groups").get("Groups", []))}


def trace(trace_id: str) -> dict:
    answer = call("xray", "batch_get_traces", TraceIds=[trace_id])
    if not answer["Traces"]:
        raise AwsError(404, "trace_not_found", f"X-Ray has no trace {trace_id}")
    documents = [json.loads(segment["Document"]) for segment in answer["Traces"][0]["Segments"]]
    for document in documents:
        document["sent_by"] = sent_by(document)
    return {"trace_id": trace_id, "duration": answer["Traces"][0].get("Duration"), "segments": documents}


def sampling() -> dict:
    rules = call("xray", "get_sampling_rules").get("SamplingRuleRecords", [])
    statistics = call("xray", "get_sampling_statistic_summaries").get("SamplingStatisticSummaries", [])
    return {"rules": _jsonable(rules), "statistics": _jsonable(statistics)}


# --- CloudWatch Logs ---


def log_groups() -> dict:
    found = call("logs", "describe_log_groups").get("logGroups", [])
    return {"groups": [{"name": g["logGroupName"], "stored_bytes": g.get("storedBytes", 0)} for g in found]}


def log_streams(group: str) -> dict:
    found = call("logs", "describe_log_streams", logGroupName=group, orderBy="LastEventTime", descending=True)
    return {"streams": [s["logStreamName"] for s in found.get("logStreams", [])]}


def log_events(group: str, start: datetime, end: datetime, pattern: str | None, stream: str | None,
               contains: str | None) -> dict:  # fmt: skip
    """Events of a group, oldest first. `pattern` is CloudWatch's filter pattern, passed to
    LocalStack; `contains` is matched here (LocalStack's patterns do not cover every case)."""
    params = {"logGroupName": group, "startTime": _millis(start), "endTime": _millis(end), "limit": 1000}
    if pattern:
        params["filterPattern"] = pattern
    if stream:
        params["logStreamNames"] = [stream]
    events, token = [], None
    while len(events) < 10 * LOG_EVENTS_LIMIT:
        page = call("logs", "filter_log_events", **params, **({"nextToken": token} if token else {}))
        events += page.get("events", [])
        token = page.get("nextToken")
        if not token:
            break
    if contains:
        events = [e for e in events if contains in e.get("message", "")]
    events.sort(key=lambda e: (e.get("timestamp", 0), e.get("eventId", "")))
    return {"events": [_event(e) for e in events[-LOG_EVENTS_LIMIT:]], "truncated": len(events) > LOG_EVENTS_LIMIT}


def _event(event: dict) -> dict:
    try:
        line = json.loads(event["message"])
    except (ValueError, KeyError):
        line = None
    return {
        "time": datetime.fromtimestamp(event["timestamp"] / 1000, UTC).isoformat().replace("+00:00", "Z"),
        "stream": event.get("logStreamName"),
        "id": event.get("eventId"),
        "message": event.get("message", ""),
        "fields": line if isinstance(line, dict) else None,
    }


def _millis(moment: datetime) -> int:
    return int(moment.replace(tzinfo=UTC).timestamp() * 1000)


def _jsonable(value):
    """boto3's answers with datetimes as ISO strings."""
    return json.loads(json.dumps(value, default=lambda v: v.isoformat() if isinstance(v, datetime) else str(v)))
