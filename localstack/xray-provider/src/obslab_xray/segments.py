"""Segment documents: validation (PutTraceSegments) and what a stored trace tells (trace
summaries, filter expressions, service graphs). Plain Python, no LocalStack imports."""

import json
import math
import re
from collections import OrderedDict
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar

from obslab_xray import packing
from obslab_xray.filters import View

TRACE_ID = re.compile(r"1-[0-9a-f]{8}-[0-9a-f]{24}")
ENTITY_ID = re.compile(r"[0-9a-f]{16}")
MAX_DOCUMENT_BYTES = 64 * 1024
MAX_NAME_CHARS = 200
# Traces whose derived values (merged segments, filter view, root causes: ~20 KB each) are kept.
DERIVED_CACHE = 1_000


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
    """The subsegments below an entity, depth first (without recursion: documents may nest deeply)."""
    stack = _subsegments(entity)[::-1]
    while stack:
        subsegment = stack.pop()
        yield subsegment
        stack.extend(_subsegments(subsegment)[::-1])


def _flags(entity: dict) -> set[str]:
    return {flag for flag in ("error", "fault", "throttle") if entity.get(flag) is True}


def _times(segment: dict) -> tuple[float, float]:
    return segment["start_time"], segment.get("end_time") or segment["start_time"]


def _merged(raw: dict[str, str]) -> list[tuple[dict, str]]:
    """(segment, document) pairs: each segment with the independently sent subsegments placed
    under their parent (re-serialized then); subsegments whose parent has not arrived (yet) stay
    on their own. Parses the documents afresh, so it may change what it parsed."""
    parsed = {i: json.loads(document) for i, document in raw.items()}
    segments = {i: doc for i, doc in parsed.items() if doc.get("type") != "subsegment"}
    pending = {i: doc for i, doc in parsed.items() if doc.get("type") == "subsegment"}
    index = {}  # entity id -> (entity, id of its segment)
    for segment_id, segment in segments.items():
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
            child = {k: v for k, v in doc.items() if k not in ("type", "trace_id", "parent_id")}
            parent.setdefault("subsegments", []).append(child)
            index[subsegment_id] = (child, segment_id)
            index.update({sub["id"]: (sub, segment_id) for sub in walk(child) if "id" in sub})
            merged_into.add(segment_id)
    merged = [(segment, json.dumps(segment) if i in merged_into else raw[i]) for i, segment in segments.items()]
    return merged + [(doc, raw[i]) for i, doc in pending.items()]


class Trace:
    """The documents of one trace, as sent (a document sent again, e.g. once complete,
    replaces the earlier version). Independently sent subsegments are merged into their parent,
    as X-Ray does: `segments` and `documents()` show segments with all their subsegments.

    Stored compactly, because a lab keeps thousands of traces: the documents packed together
    (obslab_xray.packing), the trace's start and end, and nothing else. What is worked out from
    the documents (merged segments, the entry point, the view filter expressions see, root
    causes) is kept for the most recently used traces only (DERIVED_CACHE), so memory stays
    bounded under load."""

    __slots__ = ("id", "start", "end", "revision", "_packed")
    # Trace -> {name: derived value}, least recently used first.
    _derived: ClassVar[OrderedDict] = OrderedDict()

    def __init__(self, trace_id: str):
        self.id = trace_id
        self._packed = packing.pack({})
        # The earliest start and latest end over the documents; revision counts the documents.
        self.start, self.end, self.revision = math.inf, -math.inf, 0

    def __getstate__(self) -> dict:
        # Saved (obslab_xray.persistence): the documents only; the rest is recomputed.
        return {"id": self.id, "packed": self._packed}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["id"])
        # Saves from before documents were packed hold {segment id: (segment, document)}.
        raw = (
            packing.unpack(state["packed"])
            if "packed" in state
            else {i: d for i, (_, d) in state["_documents"].items()}
        )
        self._store(raw, recount=True)

    def raw_documents(self) -> dict[str, str]:
        """Segment id -> the document as sent."""
        return packing.unpack(self._packed)

    def add(self, segment: dict, document: str) -> None:
        raw = self.raw_documents()
        replaced = segment["id"] in raw
        raw[segment["id"]] = document
        if not replaced:
            start, end = _times(segment)
            self.start, self.end = min(self.start, start), max(self.end, end)
        self._store(raw, recount=replaced)

    def _store(self, raw: dict[str, str], recount: bool) -> None:
        self._packed, self.revision = packing.pack(raw), len(raw)
        if recount:  # a document replaced (or loaded): start and end from all of them
            times = [_times(json.loads(document)) for document in raw.values()]
            self.start = min((start for start, _ in times), default=math.inf)
            self.end = max((end for _, end in times), default=-math.inf)
        Trace._derived.pop(self, None)

    def _cached(self) -> dict:
        """This trace's derived values, kept while it is among the DERIVED_CACHE most recently used."""
        cache = Trace._derived
        values = cache.get(self)
        if values is None:
            values = cache[self] = {}
            while len(cache) > DERIVED_CACHE:
                cache.popitem(last=False)
        else:
            cache.move_to_end(self)
        return values

    def _merge(self) -> list[tuple[dict, str]]:
        values = self._cached()
        if "merged" not in values:
            values["merged"] = _merged(self.raw_documents())
        return values["merged"]

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
    def duration(self) -> float:
        return self.end - self.start

    @property
    def root(self) -> dict:
        """The entry point: the earliest segment without a parent in this trace."""
        values = self._cached()
        if "root" not in values:
            segments = self.segments
            ids = {s["id"] for s in segments} | {sub.get("id") for s in segments for sub in walk(s)}
            candidates = [s for s in segments if s.get("type") != "subsegment" and s.get("parent_id") not in ids]
            values["root"] = min(candidates or segments, key=lambda segment: segment["start_time"])
        return values["root"]

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
        """The entry point's HTTP data: status, url, method, useragent, clientip."""
        return {key.split(".", 1)[1]: value for key, value in _http_values(self.root).items()}

    def response_time(self) -> float:
        root = self.root
        return (root.get("end_time") or root["start_time"]) - root["start_time"]

    def calls(self) -> list[tuple[dict | None, dict, bool]]:
        """Every call in the trace: (caller segment, or None for the client; the callee, a segment
        or, for a remote or AWS call that got no segment of its own, the calling subsegment;
        whether the callee is such an inferred node)."""
        segments = [s for s in self.segments if s.get("type") != "subsegment"]
        by_id = {s["id"]: s for s in segments}
        owner_of = {sub["id"]: s for s in segments for sub in walk(s) if "id" in sub}
        calls, answered = [], set()
        for segment in segments:
            parent = segment.get("parent_id")
            if parent in owner_of:
                calls.append((owner_of[parent], segment, False))
                answered.add(parent)
            else:
                calls.append((by_id.get(parent), segment, False))
        for segment in segments:
            for sub in walk(segment):
                if sub.get("namespace") in ("remote", "aws") and sub.get("id") not in answered:
                    calls.append((segment, sub, True))
        return calls

    def view(self) -> View:
        """What filter expressions see of this trace (computed once per change)."""
        values = self._cached()
        if "view" not in values:
            values["view"] = self._make_view()
        return values["view"]

    def _make_view(self) -> View:
        calls = self.calls()
        services = [_entity_view(callee, inferred, root=caller is None) for caller, callee, inferred in calls]
        edges = []
        for caller, callee, inferred in calls:
            edge = _entity_view(callee, inferred)
            source = ("client", "client") if caller is None else (caller["name"], node_type(caller, False))
            edge.values.update(source=source, destination=(callee["name"], node_type(callee, inferred)))
            edges.append(edge)
        root = self.root
        values = {
            **{f"http.{key}": value for key, value in self.http().items()},
            "responsetime": self.response_time(),
            "duration": self.duration,
            "user": [segment["user"] for segment in self.segments if isinstance(segment.get("user"), str)],
            **_aws_values(root),
        }
        flags = self.flags() | ({"inferred"} if any(inferred for _, _, inferred in calls) else set())
        causes = self.root_causes()
        return View(
            values=values,
            flags=flags,
            annotations={key: [value for value, _ in pairs] for key, pairs in self.annotations().items()},
            services=services,
            edges=edges,
            root_causes=causes.items(),
            root_cause_json=causes.json(),
        )

    def root_causes(self) -> "RootCauses":
        """The trace's root causes, for filter expressions and summaries (computed once per change)."""
        values = self._cached()
        if "causes" not in values:
            values["causes"] = RootCauses(self, self.calls())
        return values["causes"]

    def _root_cause_summaries(self) -> dict[str, list[dict]]:
        causes = self.root_causes()
        return {
            "FaultRootCauses": causes.summary("fault"),
            "ErrorRootCauses": causes.summary("error"),
            "ResponseTimeRootCauses": causes.summary("responsetime"),
        }

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
            **self._root_cause_summaries(),
            "Revision": self.revision,
        }


def node_type(entity: dict, inferred: bool) -> str:
    """A service's type as X-Ray names it: the segment's origin, or remote / AWS for an inferred node."""
    if inferred:
        return "remote" if entity.get("namespace") == "remote" else "AWS"
    return entity.get("origin") or "service"


def _duration(entity: dict) -> float:
    return (entity.get("end_time") or entity["start_time"]) - entity["start_time"]


def _http_values(entity: dict) -> dict[str, Any]:
    http = entity.get("http") or {}
    request, response = http.get("request") or {}, http.get("response") or {}
    return {
        "http.status": response.get("status"),
        "http.url": request.get("url"),
        "http.method": request.get("method"),
        "http.useragent": request.get("user_agent"),
        "http.clientip": request.get("client_ip"),
    }


def _aws_values(entity: dict) -> dict[str, Any]:
    aws = entity.get("aws") if isinstance(entity.get("aws"), dict) else {}
    ec2 = aws.get("ec2") if isinstance(aws.get("ec2"), dict) else {}
    return {
        "availabilityzone": ec2.get("availability_zone"),
        "instance.id": ec2.get("instance_id"),
        "resource.arn": entity.get("resource_arn"),
        "account.id": aws.get("account_id"),
    }


def _entity_view(entity: dict, inferred: bool, root: bool = False) -> View:
    """One service of a trace as a brace filter sees it: its segment (or, inferred, the
    subsegment that called it) with the annotations recorded inside it."""
    flags = _flags(entity)
    if entity.get("in_progress") is True or any(sub.get("in_progress") is True for sub in walk(entity)):
        flags.add("partial")
    if inferred:
        flags |= {"inferred", "remote"}
    if root:
        flags.add("root")
    annotations: dict[str, list[Any]] = {}
    for part in [entity, *walk(entity)]:
        for key, value in (part.get("annotations") or {}).items():
            annotations.setdefault(key, []).append(value)
    values = {
        "name": entity["name"],
        "type": node_type(entity, inferred),
        "responsetime": _duration(entity),
        "duration": _duration(entity),
        "user": entity.get("user"),
        **_http_values(entity),
        **_aws_values(entity),
    }
    return View(values=values, flags=flags, annotations=annotations)


class RootCauses:
    """The root causes of a trace's faults, errors and response time, as X-Ray reports them
    (FaultRootCauses, ErrorRootCauses, ResponseTimeRootCauses), worked out from the segments:

    - fault or error: each service whose segment carries the flag while no service it calls does
      (an inferred remote or AWS node with the flag is one too); its entity path runs from the
      segment down the flagged subsegments, ending at the entity at fault, with the exceptions
      recorded on the way;
    - response time: the service with the largest time of its own (its segment's duration less
      the calls answered by other segments); the path follows the longest subsegment at each
      level, and coverage is each element's share of the trace's response time.
    """

    def __init__(self, trace: Trace, calls: list[tuple[dict | None, dict, bool]]):
        self.response_time = trace.response_time() or 0.0
        self.causes: dict[str, list[dict]] = {}
        called: dict[str, list[tuple[dict, bool]]] = {}  # caller segment id -> callees
        for caller, callee, inferred in calls:
            if caller is not None:
                called.setdefault(caller["id"], []).append((callee, inferred))
        nodes = [(callee, inferred) for _, callee, inferred in calls]
        for kind in ("fault", "error"):
            self.causes[kind] = [
                self._flagged_cause(node, inferred, kind)
                for node, inferred in nodes
                if node.get(kind) is True
                and (inferred or not any(callee.get(kind) is True for callee, _ in called.get(node["id"], ())))
            ]
        segments = [(node, called.get(node["id"], ())) for node, inferred in nodes if not inferred]
        if segments:
            slowest, callees = max(
                segments, key=lambda pair: _duration(pair[0]) - sum(_duration(c) for c, _ in pair[1])
            )
            own_time = _duration(slowest) - sum(_duration(callee) for callee, _ in callees)
            self.causes["responsetime"] = [self._slow_cause(slowest, own_time)]
        else:
            self.causes["responsetime"] = []

    @staticmethod
    def _flagged_cause(node: dict, inferred: bool, kind: str) -> dict:
        path, entity = [node], node
        while True:
            flagged = [
                sub for sub in entity.get("subsegments") or [] if isinstance(sub, dict) and sub.get(kind) is True
            ]
            if not flagged:
                break
            entity = flagged[0]
            path.append(entity)
        return {"service": node, "inferred": inferred, "path": path, "coverage": None}

    def _slow_cause(self, segment: dict, own_time: float) -> dict:
        path, entity = [segment], segment
        while subsegments := _subsegments(entity):
            entity = max(subsegments, key=_duration)
            path.append(entity)
        return {"service": segment, "inferred": False, "path": path, "coverage": own_time}

    def _share(self, seconds: float | None) -> float | None:
        if seconds is None or self.response_time <= 0:
            return None
        return min(1.0, max(0.0, seconds / self.response_time))

    def items(self) -> dict[str, list[View]]:
        """What rootcause.<kind>.<level> { ... } filters look at."""
        items: dict[str, list[View]] = {}
        for kind, causes in self.causes.items():
            services, entities, exceptions = [], [], []
            for cause in causes:
                node = cause["service"]
                coverage = self._share(cause["coverage"])
                values = {"name": node["name"], "type": node_type(node, cause["inferred"]), "coverage": coverage}
                services.append(
                    View(values={**values, **_aws_values(node)}, flags={"remote"} if cause["inferred"] else set())
                )
                for entity in cause["path"][1:] or cause["path"]:
                    share = self._share(_duration(entity)) if kind == "responsetime" else None
                    remote = entity.get("namespace") == "remote" or cause["inferred"]
                    entities.append(
                        View(values={"name": entity["name"], "coverage": share}, flags={"remote"} if remote else set())
                    )
                    for exception in _exceptions(entity):
                        exceptions.append(View(values={"name": exception["Name"], "message": exception["Message"]}))
            for level, views in (("service", services), ("entity", entities), ("exception", exceptions)):
                for index, view in enumerate(views):
                    view.values["index"] = index
                    if index == 0:
                        view.flags.add("first")
                items[f"{kind}.{level}"] = views
        return items

    def json(self) -> list[dict]:
        """X-Ray's root cause structures (TraceSummary's FaultRootCauses and the like), all kinds."""
        return [cause for kind in ("fault", "error", "responsetime") for cause in self.summary(kind)]

    def summary(self, kind: str) -> list[dict]:
        summaries = []
        for cause in self.causes[kind]:
            node = cause["service"]
            service = {
                "Name": node["name"],
                "Names": [node["name"]],
                "Type": node_type(node, cause["inferred"]),
                "EntityPath": [
                    {
                        "Name": entity["name"],
                        **(
                            {"Coverage": self._share(_duration(entity))}
                            if kind == "responsetime"
                            else {"Exceptions": _exceptions(entity)}
                        ),
                        "Remote": entity.get("namespace") == "remote" or cause["inferred"],
                    }
                    for entity in cause["path"]
                ],
                "Inferred": cause["inferred"],
            }
            summaries.append({"Services": [service], "ClientImpacting": True})
        return summaries


def _subsegments(entity: dict) -> list[dict]:
    subsegments = entity.get("subsegments")
    return [sub for sub in subsegments if isinstance(sub, dict)] if isinstance(subsegments, list) else []


def _exceptions(entity: dict) -> list[dict]:
    cause = entity.get("cause") if isinstance(entity.get("cause"), dict) else {}
    return [
        {"Name": str(exception.get("type") or ""), "Message": str(exception.get("message") or "")}
        for exception in cause.get("exceptions") or []
        if isinstance(exception, dict)
    ]


def _service_id(name: str) -> dict:
    return {"Name": name, "Names": [name]}


def _annotation_value(value) -> dict:
    if isinstance(value, bool):
        return {"BooleanValue": value}
    if isinstance(value, (int, float)):
        return {"NumberValue": float(value)}
    return {"StringValue": str(value)}
