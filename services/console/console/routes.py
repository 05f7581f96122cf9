"""The console's HTTP interface: OTLP/JSON in (/v1/traces), the query API (/api/...), the page."""

import gzip
import json
import logging
import zlib
from pathlib import Path

import duckdb
import plotly
from flask import Blueprint, current_app, jsonify, render_template, request, send_file, send_from_directory

from console import bubbleup, compare, honeycomb_query, otlp, query, query_text
from console.store import SpanStore

MAX_BODY_BYTES = 32 * 1024 * 1024  # an export batch of the collector is far smaller
STATIC = Path(__file__).with_name("static")
PLOTLY_JS = Path(plotly.__file__).with_name("package_data") / "plotly.min.js"

bp = Blueprint("console", __name__)
log = logging.getLogger(__name__)


def store() -> SpanStore:
    return current_app.extensions["span_store"]


def _json_body() -> object:
    raw = request.get_data(cache=False)
    encoding = request.headers.get("Content-Encoding", "").lower()
    try:
        if encoding == "gzip":
            raw = gzip.decompress(raw)
        elif encoding == "deflate":
            raw = zlib.decompress(raw)
        return json.loads(raw)
    except (OSError, EOFError, zlib.error, ValueError, RecursionError):
        raise otlp.PayloadError("The body is not (compressed) JSON") from None


@bp.post("/v1/traces")
def receive_traces():
    """OTLP/HTTP with JSON encoding. A 503 makes the collector retry: nothing accepted is lost."""
    if not request.is_json:
        return jsonify(error="unsupported_media_type",
                       message="Send OTLP/JSON (Content-Type: application/json; the collector's otlphttp exporter "
                               "with encoding: json)"), 415  # fmt: skip
    refused: list[str] = []
    rows = list(otlp.rows(_json_body(), refused))
    try:
        _, not_stored = store().ingest(rows)
    except duckdb.Error as error:  # a passing condition (a full disk, say): the collector retries
        log.exception("could not store %d spans", len(rows))
        return jsonify(error="store_unavailable", message=f"The span store failed: {error}"), 503
    refused += not_stored
    if refused:
        # OTLP's partial success: stored the rest; sending these again would not help.
        message = "; ".join(refused[:5]) + (f" (and {len(refused) - 5} more)" if len(refused) > 5 else "")
        return jsonify(partialSuccess={"rejectedSpans": len(refused), "errorMessage": message[:2000]})
    return jsonify({})


def _query_from(body: object) -> query.Query:
    """A query in any of its three forms: {"text": ...}, Honeycomb's JSON, or the console's JSON."""
    if isinstance(body, dict) and "text" in body:
        return query_text.parse(body["text"])
    if honeycomb_query.looks_like(body):
        return honeycomb_query.to_query(body)
    return query.from_json(body)


def _request_json() -> object:
    if not request.is_json:
        raise query.QueryError("Send the query as JSON (Content-Type: application/json)")
    try:
        return json.loads(request.get_data(cache=True))
    except (ValueError, RecursionError):
        raise query.QueryError("The body is not valid JSON") from None


@bp.post("/api/query")
def run_query():
    """A query as the console's JSON ({"calculations": [...], ...}), as Honeycomb's Query
    Specification JSON ({"calculations": [{"op": "P90", "column": ...}], "breakdowns": ...}), or as
    text ({"text": "VISUALIZE ..."})."""
    q = _query_from(_request_json())
    answer = query.run(store(), q)
    answer["text"] = query_text.format_query(q)
    return jsonify(answer)


@bp.post("/api/spans")
def list_spans():
    """The spans behind a table row or a heatmap cell: {"query": ..., "narrow": {...}}."""
    body = _request_json()
    if not isinstance(body, dict):
        raise query.QueryError("The body must be an object with query and narrow")
    return jsonify(query.spans(store(), _query_from(body.get("query")), body.get("narrow")))


@bp.post("/api/bubbleup")
def bubble_up():
    """What sets a selection apart: {"query": ..., "selection": {"field", "range"[, "time"]} or
    {"group": {...}}} (console/bubbleup.py)."""
    body = _request_json()
    if not isinstance(body, dict):
        raise query.QueryError("The body must be an object with query and selection")
    return jsonify(bubbleup.bubbleup(store(), _query_from(body.get("query")), body.get("selection")))


@bp.get("/api/traces/<trace_id>")
def get_trace(trace_id):
    spans = query.trace(store(), trace_id)
    if not spans:
        return jsonify(error="trace_not_found", message=f"No span of trace {trace_id} is in the store"), 404
    return jsonify(
        trace_id=trace_id.lower(),
        spans=spans,
        jaeger_url=f"{current_app.config['JAEGER_PUBLIC_URL']}/trace/{trace_id.lower()}",
    )


@bp.get("/api/compare")
def compare_traces():
    """Two traces as one tree: GET /api/compare?a=<trace id>&b=<trace id> (console/compare.py)."""
    ids = {side: (request.args.get(side) or "").strip().lower() for side in ("a", "b")}
    bad = [side for side, trace_id in ids.items() if not otlp.HEX_ID.fullmatch(trace_id)]
    if bad:
        raise query.QueryError(f"{' and '.join(bad)}: a trace id (32 hexadecimal digits), as in ?a=<id>&b=<id>")
    traces = {side: query.trace(store(), trace_id) for side, trace_id in ids.items()}
    missing = [ids[side] for side, spans in traces.items() if not spans]
    if missing:
        return jsonify(error="trace_not_found", message=f"No span of trace {', '.join(missing)} is in the store"), 404
    return jsonify(a=ids["a"], b=ids["b"], **compare.compare(traces["a"], traces["b"]))


@bp.get("/api/fields")
def fields():
    """Every queryable field with its type, how many spans are stored, and what was capped (since
    the console started) because it could not be kept whole."""
    return jsonify(fields=store().fields(), spans=store().count(), capped=dict(store().capped))


@bp.get("/api/config")
def config():
    """What the pages need to link out: where the browser reaches Jaeger."""
    return jsonify(jaeger_url=current_app.config["JAEGER_PUBLIC_URL"])


@bp.get("/health")
def health():
    return jsonify(status="ok")


@bp.get("/")
def page():
    return render_template("query.html", current="/")


@bp.get("/favicon.ico")
def favicon():
    return "", 204


@bp.get("/static/plotly.min.js")
def plotly_js():
    # Served from the plotly package (PyPI): the page needs no internet.
    return send_file(PLOTLY_JS, mimetype="text/javascript", max_age=86400)


@bp.get("/static/<path:name>")
def static_file(name):
    return send_from_directory(STATIC, name)
