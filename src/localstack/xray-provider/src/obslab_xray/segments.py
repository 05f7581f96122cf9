"""Segment documents: validation (PutTraceSegments) and what a stored trace tells (trace
summaries, filter expressions, service graphs). Plain Python, no LocalStack imports."""

import copy
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from obslab_xray.filters import TraceView

TRACE_ID = re.compile(r"1-[0-9a-f]{8}-[0-9a-f]{24}")
ENTITY_ID = re.compile(r"[0-9a-f]{16}")
MAX_DOCUMENT_BYTES = 64 * 1024
MAX_NAME_CHARS = 200


class SegmentError(ValueError):
    def __init__(self, segment_id: str | None, code: str, message: str):
        super().__init__(message)
        self.segment_id = segment_id
        self.code = code
        self.message = message

    def unprocessed(self) -> dict:
        entry = {"ErrorCode": self.code, "Message": self.message}
        if self.segment_id:
            entry["Id"] = self.segment_id
        return entry


def parse_document(document: str) -> dict:
    """A segment (or independently sent subsegment) document, checked as X-Ray checks it."""
    if len(document.encode("utf-8", "surrogatepass")) > MAX_DOCUMENT_BYTES:
        raise SegmentError(None, "DocumentTooLarge", f"A segment document may have at most {MAX_DOCUMENT_BYTES} bytes")
    try:
        segment = json.loads(document)
    except (ValueError, RecursionError):
        raise SegmentError(None, "InvalidJSON", "The document is not valid JSON") from None
    if not isinstance(segment, dict):
        raise SegmentError(None, "InvalidJSON", "The document is not a JSON object")
    segment_id = segment.get("id") if isinstance(segment.get("id"), str) else None
    if segment_id is None or not ENTITY_ID.fullmatch(segment_id):
        raise SegmentError(None, "MissingId", "The segment id must be 16 hexadecimal digits")

    def fail(code: str, message: str):
        raise SegmentError(segment_id, code, message)

    name = segment.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= MAX_NAME_CHARS:
        fail("InvalidName", f"The name must be a string of 1 to {MAX_NAME_CHARS} characters")
    trace_id = segment.get("trace_id")
    if not isinstance(trace_id, str) or not TRACE_ID.fullmatch(trace_id):
        fail("InvalidTraceId", "The trace_id must look like 1-5759e988-bd862e3fe1be46a994272793")
    start = segment.get("start_time")
    if not _is_number(start):
        fail("InvalidStartTime", "start_time must be a number of seconds since the epoch")
    end = segment.get("end_time")
    if end is None:
        if segment.get("in_progress") is not True:
            fail("MissingEndTime", "A segment needs end_time, or in_progress set to true")
    elif not _is_number(end) or end < start:
        fail("InvalidEndTime", "end_time must be a number, not before start_time")
    parent = segment.get("parent_id")
    if parent is not None and (not isinstance(parent, str) or not ENTITY_ID.fullmatch(parent)):
        fail("InvalidParentId", "The parent_id must be 16 hexadecimal digits")
    if segment.get("type") == "subsegment" and parent is None:
        fail("MissingParentId", "An independently sent subsegment needs a parent_id")
    return segment


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def walk(entity: dict) -> Iterator[dict]:
    """The subsegments below an entity, depth first."""
    for subsegment in entity.get("subsegments") or []:
        if isinstance(subsegment, dict):
            yield subsegment
            yield from walk(subsegment)


def _flags(entity: dict) -> set[str]:
    return {flag for flag in ("error", "fault", "throttle") if entity.get(flag) is True}


class Trace:
    """The documents of one trace, as sent (a document sent again, e.g. once complete,
    replaces the earlier version). Independently sent subsegments are merged into their parent,
    as X-Ray does: `segments` and `documents()` show segments with all their subsegments."""

    def __init__(self, trace_id: str):
        self.id = trace_id
        self._documents: dict[str, tuple[dict, str]] = {}
        # Derived from the documents, computed on first use, dropped when a document arrives.
        self._merged: list[tuple[dict, str]] | None = None
        self._root: dict | None = None

    def add(self, segment: dict, document: str) -> None:
        self._documents[segment["id"]] = (segment, document)
        self._merged = self._root = None

    def _merge(self) -> list[tuple[dict, str]]:
        if self._merged is not None:
            return self._merged
        segments = {
            i: (copy.deepcopy(doc), raw) for i, (doc, raw) in self._documents.items() if doc.get("type") != "subsegment"
        }
        pending = {i: doc for i, (doc, _) in self._documents.items() if doc.get("type") == "subsegment"}
        index = {}  # entity id -> (entity, id of its segment)
        for segment_id, (segment, _) in segments.items():
            index[segment_id] = (segment, segment_id)
            index.update({sub["id"]: (sub, segment_id) for sub in walk(segment) if "id" in sub})
        merged_into = set()
        while True:  # a subsegment may hang off another independently sent one
            placed = [i for i, doc in pending.items() if doc["parent_id"] in index]
            if not placed:
                break
            for subsegment_id in placed:
                doc = pending.pop(subsegment_id)
                parent, segment_id = index[doc["parent_id"]]
                child = {k: v for k, v in copy.deepcopy(doc).items() if k not in ("type", "trace_id", "parent_id")}
                parent.setdefault("subsegments", []).append(child)
                index[subsegment_id] = (child, segment_id)
                index.update({sub["id"]: (sub, segment_id) for sub in walk(child) if "id" in sub})
                merged_into.add(segment_id)
        self._merged = [
            (segment, json.dumps(segment) if i in merged_into else raw) for i, (segment, raw) in segments.items()
        ]
        # Subsegments whose parent has not arrived (yet) stay on their own.
        self._merged += [(doc, self._documents[i][1]) for i, doc in pending.items()]
        return self._merged

    @property
    def segments(self) -> list[dict]:
        return [segment for segment, _ in self._merge()]

    def documents(self) -> list[dict]:
        return [{"Id": segment["id"], "Document": document} for segment, document in self._merge()]

    @property
    def id_time(self) -> float:
        """When the trace started, as its id says (X-Ray's default time range type)."""
        return float(int(self.id[2:10], 16))

    @property
    def start(self) -> float:
        return min(segment["start_time"] for segment in self.segments)

    @property
    def end(self) -> float:
        return max(segment.get("end_time") or segment["start_time"] for segment in self.segments)

    @property
    def duration(self) -> float:
        return self.end - self.start

    @property
    def root(self) -> dict:
        """The entry point: the earliest segment without a parent in this trace."""
        if self._root is None:
            segments = self.segments
            ids = {s["id"] for s in segments} | {sub.get("id") for s in segments for sub in walk(s)}
            candidates = [s for s in segments if s.get("type") != "subsegment" and s.get("parent_id") not in ids]
            self._root = min(candidates or segments, key=lambda segment: segment["start_time"])
        return self._root

    def services(self) -> list[str]:
        """Service names: every segment, and every remote or AWS call that got no segment of its own."""
        names = {segment["name"] for segment in self.segments if segment.get("type") != "subsegment"}
        answered = {segment.get("parent_id") for segment in self.segments}
        for segment in self.segments:
            for sub in walk(segment):
                if sub.get("namespace") in ("remote", "aws") and sub.get("id") not in answered:
                    names.add(sub["name"])
        return sorted(names)

    def _entities(self) -> Iterator[tuple[str, dict]]:
        for segment in self.segments:
            yield segment["name"], segment
            for sub in walk(segment):
                yield segment["name"], sub

    def flags(self) -> set[str]:
        flags = set()
        for _, entity in self._entities():
            flags |= _flags(entity)
            if entity.get("in_progress") is True:
                flags.add("partial")
        return flags

    def annotations(self) -> dict[str, list[tuple[Any, str]]]:
        """key -> distinct (value, service) pairs."""
        found: dict[str, list[tuple[Any, str]]] = {}
        for service, entity in self._entities():
            for key, value in (entity.get("annotations") or {}).items():
                pair = (value, service)
                if pair not in found.setdefault(key, []):
                    found[key].append(pair)
        return found

    def http(self) -> dict[str, Any]:
        http = self.root.get("http") or {}
        request, response = http.get("request") or {}, http.get("response") or {}
        return {
            "status": response.get("status"),
            "url": request.get("url"),
            "method": request.get("method"),
            "useragent": request.get("user_agent"),
            "clientip": request.get("client_ip"),
        }

    def response_time(self) -> float:
        root = self.root
        return (root.get("end_time") or root["start_time"]) - root["start_time"]

    def view(self) -> TraceView:
        return TraceView(
            services=set(self.services()),
            http=self.http(),
            response_time=self.response_time(),
            duration=self.duration,
            flags=self.flags(),
            annotations={key: [value for value, _ in pairs] for key, pairs in self.annotations().items()},
        )

    def summary(self) -> dict:
        http, flags, root = self.http(), self.flags(), self.root
        return {
            "Id": self.id,
            "StartTime": datetime.fromtimestamp(root["start_time"], UTC),
            "Duration": round(self.duration, 6),
            "ResponseTime": round(self.response_time(), 6),
            "HasFault": "fault" in flags,
            "HasError": "error" in flags,
            "HasThrottle": "throttle" in flags,
            "IsPartial": "partial" in flags,
            "Http": {
                field: http[key]
                for field, key in (
                    ("HttpURL", "url"),
                    ("HttpStatus", "status"),
                    ("HttpMethod", "method"),
                    ("UserAgent", "useragent"),
                    ("ClientIp", "clientip"),
                )
                if http[key] is not None
            },
            "Annotations": {
                key: [
                    {"AnnotationValue": _annotation_value(value), "ServiceIds": [_service_id(service)]}
                    for value, service in pairs
                ]
                for key, pairs in self.annotations().items()
            },
            "Users": [],
            "ServiceIds": [_service_id(name) for name in self.services()],
            "EntryPoint": _service_id(root["name"]),
            "Revision": len(self._documents),
        }


def _service_id(name: str) -> dict:
    return {"Name": name, "Names": [name]}


def _annotation_value(value) -> dict:
    if isinstance(value, bool):
        return {"BooleanValue": value}
    if isinstance(value, (int, float)):
        return {"NumberValue": float(value)}
    return {"StringValue": str(value)}
