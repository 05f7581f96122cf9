"""Recent X-Ray traces from LocalStack, as trees in the terminal (make xray).

    python scripts/xray_tree.py [--filter EXPRESSION] [--minutes 15] [--limit 10]

Each trace shows its segments (which tracer sent them), subsegments, durations, HTTP status,
faults and errors, and annotations, nested as the calls were.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lab_env import aws_client, explain, localstack_url  # noqa: E402

BATCH = 5  # BatchGetTraces takes at most five ids


def _flags(entity: dict) -> str:
    return "".join(f" {flag.upper()}" for flag in ("fault", "error", "throttle") if entity.get(flag) is True)


def _milliseconds(entity: dict) -> str:
    if entity.get("end_time") is None:
        return "in progress"
    return f"{(entity['end_time'] - entity['start_time']) * 1000:.1f} ms"


XRAY_SDK = "X-Ray SDK"
OPENTELEMETRY = "OpenTelemetry"


def sent_by(document: dict) -> str:
    """Which tracer a segment came from: the collector's exporter names OpenTelemetry as the SDK."""
    sdk = (document.get("aws") or {}).get("xray", {}).get("sdk", "")
    return OPENTELEMETRY if "opentelemetry" in sdk.lower() else XRAY_SDK


def _describe(entity: dict, is_segment: bool) -> str:
    parts = [entity["name"]]
    if is_segment:
        parts.append(f"[{sent_by(entity)}]")
    elif entity.get("namespace") in ("remote", "aws"):
        parts.append(f"({entity['namespace']})")
    parts.append(_milliseconds(entity))
    http = entity.get("http") or {}
    request, response = http.get("request") or {}, http.get("response") or {}
    if request.get("method") or response.get("status"):
        parts.append(" ".join(str(v) for v in (request.get("method"), request.get("url"), response.get("status")) if v))
    annotations = entity.get("annotations") or {}
    if annotations:
        parts.append(" ".join(f"{key}={value}" for key, value in annotations.items()))
    return "  ".join(parts) + _flags(entity)


def render(trace: dict) -> list[str]:
    """Lines for one trace of BatchGetTraces: segments nested under the subsegment that called them."""
    segments = [json.loads(s["Document"]) for s in trace["Segments"]]
    ids = set()
    for segment in segments:
        ids.add(segment["id"])
        stack = list(segment.get("subsegments") or [])
        while stack:
            sub = stack.pop()
            ids.add(sub.get("id"))
            stack += sub.get("subsegments") or []
    children: dict[str, list[dict]] = {}
    roots = []
    for segment in sorted(segments, key=lambda s: s["start_time"]):
        if segment.get("parent_id") in ids:
            children.setdefault(segment["parent_id"], []).append(segment)
        else:
            roots.append(segment)

    lines = []

    def visit(entity: dict, prefix: str, last: bool, is_segment: bool):
        lines.append(f"{prefix}{'└─ ' if last else '├─ '}{_describe(entity, is_segment)}")
        below = [(sub, False) for sub in sorted(entity.get("subsegments") or [], key=lambda s: s["start_time"])]
        below += [(segment, True) for segment in children.get(entity.get("id"), [])]
        for index, (child, child_is_segment) in enumerate(below):
            visit(child, prefix + ("   " if last else "│  "), index == len(below) - 1, child_is_segment)

    lines.append(f"{trace['Id']}  {trace.get('Duration', 0) * 1000:.1f} ms")
    for index, root in enumerate(roots):
        visit(root, "", index == len(roots) - 1, True)
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--filter", default=os.environ.get("FILTER", ""), help='e.g. service("users-api") AND fault')
    parser.add_argument("--minutes", type=float, default=float(os.environ.get("MINUTES") or 15))
    parser.add_argument("--limit", type=int, default=int(os.environ.get("LIMIT") or 10))
    parser.add_argument("--endpoint", default=localstack_url())
    args = parser.parse_args()

    xray = aws_client("xray", args.endpoint)
    now = time.time()
    request = {"StartTime": now - args.minutes * 60, "EndTime": now + 60}
    if args.filter.strip():
        request["FilterExpression"] = args.filter
    try:
        ids = []
        for page in xray.get_paginator("get_trace_summaries").paginate(**request):
            ids += [summary["Id"] for summary in page["TraceSummaries"]]
            if len(ids) >= args.limit:
                break
        ids = ids[: args.limit]
        traces = []
        for start in range(0, len(ids), BATCH):
            traces += xray.batch_get_traces(TraceIds=ids[start : start + BATCH])["Traces"]
    except (ClientError, BotoCoreError) as error:
        return explain(error, args.endpoint)
    if not traces:
        print(f"No traces in the last {args.minutes:g} minutes" + (f" matching {args.filter}" if args.filter else ""))
    order = {trace_id: index for index, trace_id in enumerate(ids)}
    for trace in sorted(traces, key=lambda t: order[t["Id"]]):
        print("\n".join(render(trace)), end="\n\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
