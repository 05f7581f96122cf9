"""The console's X-Ray and CloudWatch Logs API (/api/xray/..., /api/logs/...), and their pages."""

from datetime import UTC, datetime, timedelta

from flask import Blueprint, jsonify, render_template, request

from console import aws, insights
from console.query import QueryError, parse_time

bp = Blueprint("aws", __name__)
MAX_MINUTES = 24 * 60


def time_range() -> tuple[datetime, datetime]:
    """?minutes=N (default 15, at most a day), or ?start=...&end=... (ISO 8601 or epoch seconds)."""
    args = request.args
    if args.get("start") or args.get("end"):
        try:
            start = parse_time({"t": _number_or_text(args.get("start"))}, "t")
            end = parse_time({"t": _number_or_text(args.get("end"))}, "t")
        except QueryError:
            start = end = None
        if start is None or end is None or start >= end:
            raise QueryError("start and end: two times (ISO 8601 or epoch seconds), start before end")
        if end - start > timedelta(minutes=MAX_MINUTES):
            raise QueryError("The time range may span a day at most")
        return start, end
    try:
        minutes = float(args.get("minutes", "15"))
    except ValueError:
        raise QueryError("minutes: a number") from None
    if not 0 < minutes <= MAX_MINUTES:
        raise QueryError(f"minutes: more than 0, at most {MAX_MINUTES}")
    end = datetime.now(UTC).replace(tzinfo=None)
    return end - timedelta(minutes=minutes), end


def _number_or_text(value: str | None):
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


@bp.get("/api/xray/service-graph")
def service_graph():
    start, end = time_range()
    return jsonify(aws.service_graph(start, end, request.args.get("group") or None))


@bp.get("/api/xray/traces")
def trace_summaries():
    start, end = time_range()
    return jsonify(aws.trace_summaries(start, end, request.args.get("filter") or None))


@bp.get("/api/xray/traces/<trace_id>")
def xray_trace(trace_id):
    return jsonify(aws.trace(trace_id))


@bp.get("/api/xray/groups")
def groups():
    return jsonify(aws.groups())


@bp.get("/api/xray/sampling")
def sampling():
    return jsonify(aws.sampling())


@bp.get("/api/logs/groups")
def log_groups():
    return jsonify(aws.log_groups())


@bp.get("/api/logs/groups/<path:group>/streams")
def log_streams(group):
    return jsonify(aws.log_streams(group))


@bp.get("/api/logs/groups/<path:group>/events")
def log_events(group):
    start, end = time_range()
    args = request.args
    return jsonify(aws.log_events(group, start, end, args.get("pattern") or None, args.get("stream") or None,
                                  args.get("contains") or None))  # fmt: skip


@bp.post("/api/logs/insights")
def logs_insights():
    """{"query": "<Logs Insights query>", "groups": ["<group>", ...]} over ?minutes= (or ?start=&end=)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise QueryError('A JSON object: {"query": "...", "groups": ["..."]}')
    query, groups = insights.validate(body.get("query"), body.get("groups", body.get("group")))
    start, end = time_range()
    return jsonify(insights.run(query, groups, start, end))


@bp.get("/api/logs/insights/examples")
def logs_insights_examples():
    return jsonify({"examples": insights.EXAMPLES})


@bp.get("/api/logs/records/<path:pointer>")
def log_record(pointer):
    return jsonify(aws.call("logs", "get_log_record", logRecordPointer=pointer)["logRecord"])


@bp.get("/xray")
def xray_page():
    return render_template("xray.html", current="/xray")


@bp.get("/logs")
def logs_page():
    return render_template("logs.html", current="/logs")
