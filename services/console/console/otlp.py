"""OTLP/JSON trace payloads (what the collector's otlphttp exporter posts to /v1/traces with
`encoding: json`) turned into span rows: the span's own fields, derived fields named as
Honeycomb names them, and `attributes`, every resource and span attribute under its own key as
written, typed (a span's attribute wins over its resource's of the same key)."""

import base64
import json
import re
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


LAST_NANOSECOND = 253_402_300_799 * 10**9
HEX_ID = re.compile(r"[0-9a-fA-F]{16}|[0-9a-fA-F]{32}")


class PayloadError(ValueError):
    """The body is not an OTLP/JSON trace export request."""


def _id(value: Any) -> str | None:
    # OTLP/JSON writes ids as hex; some senders use base64 (the protobuf JSON mapping).
    if not isinstance(value, str) or not value:
        return None
    if HEX_ID.fullmatch(value):
        return value.lower()
    try:
        return base64.b64decode(value, validate=True).hex() or None
    except ValueError:
        return None


MAX_NESTING = 32  # arrays and maps inside arrays and maps; deeper ones are cut


def attribute_value(value: Any, depth: int = 0) -> Any:
    """An OTLP AnyValue as a Python value: numbers stay numbers; arrays and maps become JSON text."""
    if not isinstance(value, dict) or not value or depth > MAX_NESTING:
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
    if kind in ("arrayValue", "kvlistValue"):
        return json.dumps(_nested(kind, raw, depth), ensure_ascii=False)
    return None


def _nested(kind: str, raw: Any, depth: int) -> Any:
    """An array or a map as JSON-ready values (not yet text: nested ones stay structure)."""
    entries = raw.get("values") if isinstance(raw, dict) else None
    entries = entries if isinstance(entries, list) else []
    if kind == "arrayValue":
        return [_plain(entry, depth + 1) for entry in entries]
    return {str(kv.get("key")): _plain(kv.get("value"), depth + 1) for kv in entries if isinstance(kv, dict)}


def _plain(value: Any, depth: int) -> Any:
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in ("arrayValue", "kvlistValue"):
        return _nested(next(iter(value)), next(iter(value.values())), depth) if depth <= MAX_NESTING else None
    return attribute_value(value, depth)


def attributes(entries: Any) -> dict[str, Any]:
    found = {}
    for entry in entries if isinstance(entries, list) else ():
        if isinstance(entry, dict) and isinstance(entry.get("key"), str) and entry["key"]:
            value = attribute_value(entry.get("value"))
            if value is not None:
                found[entry["key"]] = value
    return found


def rows(payload: Any, refused: list[str] | None = None) -> Iterator[dict[str, Any]]:
    """Span rows of an ExportTraceServiceRequest. A span without ids or times is not one: it is
    skipped, and why goes to `refused`."""
    if not isinstance(payload, dict) or not isinstance(payload.get("resourceSpans", []), list):
        raise PayloadError("The body must be an OTLP/JSON ExportTraceServiceRequest (resourceSpans: [...])")
    for resource_spans in payload.get("resourceSpans") or []:
        if not isinstance(resource_spans, dict):
            continue
        resource = resource_spans.get("resource")
        resource = attributes(resource.get("attributes") if isinstance(resource, dict) else None)
        scopes = resource_spans.get("scopeSpans")
        for scope_spans in scopes if isinstance(scopes, list) else ():
            spans = scope_spans.get("spans") if isinstance(scope_spans, dict) else None
            for span in spans if isinstance(spans, list) else ():
                row = _row(span, resource) if isinstance(span, dict) else None
                if row is not None:
                    yield row
                elif refused is not None:
                    refused.append("a span without a trace id, a span id or a start time")


def _row(span: dict, resource: dict[str, Any]) -> dict[str, Any] | None:
    trace_id, span_id = _id(span.get("traceId")), _id(span.get("spanId"))
    try:
        start, end = int(span["startTimeUnixNano"]), int(span.get("endTimeUnixNano") or span["startTimeUnixNano"])
    except (KeyError, TypeError, ValueError):
        return None
    # The store's timestamps end with the year 9999.
    if trace_id is None or span_id is None or not 0 < start < LAST_NANOSECOND:
        return None
    parent = _id(span.get("parentSpanId"))
    status = span.get("status") if isinstance(span.get("status"), dict) else {}
    code = status.get("code", 0)
    code = {"STATUS_CODE_UNSET": 0, "STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2}.get(code, code)
    code = code if code in (0, 1, 2) and not isinstance(code, bool) else 0  # an enum: unset, ok, error
    kind = span.get("kind", 0)
    return {
        "attributes": {**resource, **attributes(span.get("attributes"))},
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
