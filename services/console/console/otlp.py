"""OTLP/JSON trace payloads (what the collector's otlphttp exporter posts to /v1/traces with
`encoding: json`) turned into flat span rows: the span's own fields, derived fields named as
Honeycomb names them, and every resource and span attribute under its own key, typed."""

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

KINDS = {0: "unspecified", 1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}
# Fields every span has (the store's fixed columns), in this order.
FIXED_FIELDS = {
    "timestamp": "TIMESTAMP",
    "duration_ms": "DOUBLE",
    "trace.trace_id": "VARCHAR",
    "trace.span_id": "VARCHAR",
    "trace.parent_id": "VARCHAR",
    "name": "VARCHAR",
    "service.name": "VARCHAR",
    "span.kind": "VARCHAR",
    "status_code": "INTEGER",
    "status_message": "VARCHAR",
    "error": "BOOLEAN",
    "is_root": "BOOLEAN",
}


class PayloadError(ValueError):
    """The body is not an OTLP/JSON trace export request."""


def _id(value: Any) -> str | None:
    # OTLP/JSON writes ids as hex; some senders use base64 (the protobuf JSON mapping).
    if not isinstance(value, str) or not value:
        return None
    if len(value) in (16, 32) and all(c in "0123456789abcdefABCDEF" for c in value):
        return value.lower()
    try:
        return base64.b64decode(value, validate=True).hex() or None
    except ValueError:
        return None


def attribute_value(value: Any) -> Any:
    """An OTLP AnyValue as a Python value: numbers stay numbers; arrays and maps become JSON text."""
    if not isinstance(value, dict) or not value:
        return None
    kind, raw = next(iter(value.items()))
    if kind == "stringValue":
        return str(raw)
    if kind == "boolValue":
        return bool(raw)
    if kind == "intValue":
        try:
            return int(raw)
        except (TypeError, ValueError):
            return None
    if kind == "doubleValue":
        try:
            return float(raw)
        except (TypeError, ValueError):
            return None
    if kind == "bytesValue":
        return str(raw)
    if kind == "arrayValue":
        return json.dumps([attribute_value(v) for v in (raw or {}).get("values") or []])
    if kind == "kvlistValue":
        return json.dumps({kv.get("key"): attribute_value(kv.get("value")) for kv in (raw or {}).get("values") or []})
    return None


def attributes(entries: Any) -> dict[str, Any]:
    found = {}
    for entry in entries if isinstance(entries, list) else ():
        if isinstance(entry, dict) and isinstance(entry.get("key"), str) and entry["key"]:
            value = attribute_value(entry.get("value"))
            if value is not None:
                found[entry["key"]] = value
    return found


def rows(payload: Any) -> Iterator[dict[str, Any]]:
    """Span rows of an ExportTraceServiceRequest. Spans without ids or times are skipped."""
    if not isinstance(payload, dict) or not isinstance(payload.get("resourceSpans", []), list):
        raise PayloadError("The body must be an OTLP/JSON ExportTraceServiceRequest (resourceSpans: [...])")
    for resource_spans in payload.get("resourceSpans") or []:
        if not isinstance(resource_spans, dict):
            continue
        resource = attributes((resource_spans.get("resource") or {}).get("attributes"))
        for scope_spans in resource_spans.get("scopeSpans") or []:
            for span in (scope_spans or {}).get("spans") or []:
                row = _row(span, resource) if isinstance(span, dict) else None
                if row is not None:
                    yield row


def _row(span: dict, resource: dict[str, Any]) -> dict[str, Any] | None:
    trace_id, span_id = _id(span.get("traceId")), _id(span.get("spanId"))
    try:
        start, end = int(span["startTimeUnixNano"]), int(span.get("endTimeUnixNano") or span["startTimeUnixNano"])
    except (KeyError, TypeError, ValueError):
        return None
    if trace_id is None or span_id is None or start <= 0:
        return None
    parent = _id(span.get("parentSpanId"))
    status = span.get("status") if isinstance(span.get("status"), dict) else {}
    code = status.get("code", 0)
    code = {"STATUS_CODE_UNSET": 0, "STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2}.get(code, code)
    code = code if isinstance(code, int) else 0
    kind = span.get("kind", 0)
    row = {**resource, **attributes(span.get("attributes"))}
    row.update(
        {
            "timestamp": datetime.fromtimestamp(start / 1e9, UTC).replace(tzinfo=None),
            "duration_ms": max(0, end - start) / 1e6,
            "trace.trace_id": trace_id,
            "trace.span_id": span_id,
            "trace.parent_id": parent,
            "name": str(span.get("name") or ""),
            "service.name": str(resource.get("service.name") or "unknown_service"),
            "span.kind": KINDS.get(kind, str(kind))
            if isinstance(kind, int)
            else str(kind).lower().replace("span_kind_", ""),
            "status_code": code,
            "status_message": str(status.get("message") or "") or None,
            "error": code == 2,
            "is_root": parent is None,
        }
    )
    return row
