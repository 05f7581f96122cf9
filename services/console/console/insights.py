"""CloudWatch Logs Insights for the console and `make insights`: a query started in LocalStack
(StartQuery), waited for (GetQueryResults), and its rows as a table with the chart that suits
them: lines when the query groups by bin(), bars when it groups by fields."""

import re
import time
from datetime import UTC, datetime

from console import aws
from console.query import QueryError

WAIT_SECONDS = 60
MAX_QUERY_LENGTH = 10_000
MAX_GROUPS = 50
DONE = {"Complete", "Failed", "Cancelled", "Timeout", "Unknown"}
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}")

# The examples one click away on the Logs page: the exercise's questions of its request lines.
EXAMPLES = [
    {"name": "Errors per route",
     "query": "filter status >= 500\n| stats count(*) as errors by route\n| sort errors desc"},
    {"name": "P90 of duration_ms per route",
     "query": "stats pct(duration_ms, 90) as p90_ms, count(*) as requests by route\n| sort p90_ms desc"},
    {"name": "Requests per 5 minutes per service", "query": "stats count(*) as requests by bin(5m), service"},
    {"name": "Newest requests", "query": "fields @timestamp, service, method, path, status, duration_ms, otel_trace_id"
                                         "\n| sort @timestamp desc\n| limit 50"},
    {"name": "Slow requests", "query": "filter duration_ms > 250\n| fields @timestamp, service, route, duration_ms, "
                                       "otel_trace_id\n| sort duration_ms desc\n| limit 50"},
]  # fmt: skip


def validate(query, groups) -> tuple[str, list[str]]:
    if not isinstance(query, str) or not query.strip():
        raise QueryError("query: the Logs Insights query, as text")
    if len(query) > MAX_QUERY_LENGTH:
        raise QueryError(f"query: at most {MAX_QUERY_LENGTH:,} characters")
    if isinstance(groups, str):
        groups = [groups]
    if not isinstance(groups, list) or not groups or not all(isinstance(g, str) and g for g in groups):
        raise QueryError("groups: one log group name or a list of them")
    if len(groups) > MAX_GROUPS:
        raise QueryError(f"groups: at most {MAX_GROUPS}")
    return query, groups


def run(query: str, groups: list[str], start: datetime, end: datetime, wait_seconds: float = WAIT_SECONDS) -> dict:
    """Start the query, wait for it and answer its table. AwsError for what LocalStack refuses
    (a malformed query: MalformedQueryException with the position)."""
    started = aws.call("logs", "start_query", logGroupNames=groups, queryString=query,
                       startTime=int(_epoch(start)), endTime=int(_epoch(end)))  # fmt: skip
    query_id, deadline, pause = started["queryId"], time.monotonic() + wait_seconds, 0.05
    while True:
        answer = aws.call("logs", "get_query_results", queryId=query_id)
        if answer.get("status") in DONE:
            break
        if time.monotonic() > deadline:
            aws.call("logs", "stop_query", queryId=query_id)
            raise aws.AwsError(504, "timeout", f"The query ran for more than {wait_seconds:.0f} s and was stopped")
        time.sleep(pause)
        pause = min(pause * 2, 0.5)
    return table(query_id, answer)


def _epoch(moment: datetime) -> float:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def table(query_id: str, answer: dict) -> dict:
    columns: list[str] = []
    rows, pointers = [], []
    for result in answer.get("results", []):
        row = {}
        pointer = None
        for cell in result:
            name, value = cell.get("field"), cell.get("value")
            if name == "@ptr":
                pointer = value
                continue
            if name not in columns:
                columns.append(name)
            row[name] = value
        rows.append(row)
        pointers.append(pointer)
    return {"query_id": query_id, "status": answer.get("status"), "columns": columns, "rows": rows,
            "pointers": pointers if any(pointers) else [], "statistics": answer.get("statistics", {}),
            "chart": chart(columns, rows, bool(any(pointers)))}  # fmt: skip


def _number(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def chart(columns: list[str], rows: list[dict], has_pointers: bool) -> dict | None:
    """Which chart the rows call for: {"kind": "line"|"bar", "x": column, "y": [columns],
    "series": [columns]}, or None (the rows are log events, or there is nothing to plot)."""
    if has_pointers or not rows:
        return None
    numeric = [c for c in columns if all(_number(r.get(c)) is not None for r in rows if r.get(c) is not None)
               and any(r.get(c) is not None for r in rows)]  # fmt: skip
    times = [c for c in columns if all(TIMESTAMP.fullmatch(str(r.get(c) or "")) for r in rows)]
    labels = [c for c in columns if c not in numeric and c not in times]
    if times:
        values = [c for c in numeric if c not in times]
        return {"kind": "line", "x": times[0], "y": values, "series": labels} if values else None
    # Bars: the aggregates (numbers after the grouping fields) against the grouping fields.
    values = [c for c in numeric if columns.index(c) >= len(labels)] if labels else numeric[1:]
    x = labels or numeric[:1]
    return {"kind": "bar", "x": x[0], "y": values, "series": x[1:]} if values and x else None
