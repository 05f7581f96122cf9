"""Service graphs (GetServiceGraph, GetTraceGraph) computed from stored traces.

Nodes: the client, every service that sent segments, and every remote or AWS call that got no
segment of its own (an inferred node, named after the subsegment). Edges: client -> entry
point; caller -> callee where a segment's parent is a subsegment of another service's segment;
caller -> inferred node. Each node and edge counts requests by outcome (ok, error, fault,
throttle) with total and histogram of response times. Plain Python, no LocalStack imports.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime

from obslab_xray.segments import Trace, walk

CLIENT = "client"


class _Stats:
    def __init__(self):
        self.ok = self.errors = self.throttles = self.faults = 0
        self.total_time = 0.0
        self.histogram: dict[float, int] = defaultdict(int)
        self.start = self.end = None

    def record(self, entity: dict) -> None:
        start = entity["start_time"]
        end = entity.get("end_time") or start
        elapsed = end - start
        if entity.get("fault") is True:
            self.faults += 1
        elif entity.get("throttle") is True:
            self.throttles += 1
        elif entity.get("error") is True:
            self.errors += 1
        else:
            self.ok += 1
        self.total_time += elapsed
        self.histogram[round(elapsed, 3)] += 1
        self.start = start if self.start is None else min(self.start, start)
        self.end = end if self.end is None else max(self.end, end)

    @property
    def count(self) -> int:
        return self.ok + self.errors + self.throttles + self.faults

    def statistics(self) -> dict:
        return {
            "OkCount": self.ok,
            "ErrorStatistics": {
                "ThrottleCount": self.throttles,
                "OtherCount": self.errors,
                "TotalCount": self.errors + self.throttles,
            },
            "FaultStatistics": {"OtherCount": self.faults, "TotalCount": self.faults},
            "TotalCount": self.count,
            "TotalResponseTime": round(self.total_time, 6),
        }

    def histogram_entries(self) -> list[dict]:
        return [{"Value": value, "Count": count} for value, count in sorted(self.histogram.items())]


def service_graph(traces: Iterable[Trace]) -> list[dict]:
    nodes: dict[str, _Stats] = defaultdict(_Stats)
    node_types: dict[str, str] = {}
    roots: set[str] = set()
    edges: dict[tuple[str, str], _Stats] = defaultdict(_Stats)

    for trace in traces:
        segments = [s for s in trace.segments if s.get("type") != "subsegment"]
        by_id = {s["id"]: s for s in segments}
        owner_of = {sub["id"]: s["name"] for s in segments for sub in walk(s) if "id" in sub}
        answered = set()
        for segment in segments:
            name, parent = segment["name"], segment.get("parent_id")
            nodes[name].record(segment)
            node_types.setdefault(name, segment.get("origin") or "service")
            if parent in owner_of:
                caller = owner_of[parent]
                answered.add(parent)
            elif parent in by_id:
                caller = by_id[parent]["name"]
            else:
                caller = CLIENT
            if caller == CLIENT:
                roots.add(name)
                nodes[CLIENT].record(segment)
                node_types[CLIENT] = "client"
            edges[(caller, name)].record(segment)
        for segment in segments:
            for sub in walk(segment):
                if sub.get("namespace") in ("remote", "aws") and sub.get("id") not in answered:
                    nodes[sub["name"]].record(sub)
                    node_types.setdefault(sub["name"], "remote" if sub.get("namespace") == "remote" else "AWS")
                    edges[(segment["name"], sub["name"])].record(sub)

    names = sorted(nodes, key=lambda name: (name != CLIENT, name))
    reference = {name: index for index, name in enumerate(names)}
    services = []
    for name in names:
        stats = nodes[name]
        service = {
            "ReferenceId": reference[name],
            "Name": name,
            "Names": [name],
            "Root": name in roots,
            "Type": node_types[name],
            "State": "active",
            "StartTime": _time(stats.start),
            "EndTime": _time(stats.end),
            "Edges": [
                {
                    "ReferenceId": reference[callee],
                    "StartTime": _time(edge.start),
                    "EndTime": _time(edge.end),
                    "SummaryStatistics": edge.statistics(),
                    "ResponseTimeHistogram": edge.histogram_entries(),
                    "Aliases": [],
                    "EdgeType": "REQUEST",
                }
                for (caller, callee), edge in sorted(edges.items())
                if caller == name
            ],
        }
        if name != CLIENT:
            service["SummaryStatistics"] = stats.statistics()
            service["DurationHistogram"] = stats.histogram_entries()
            service["ResponseTimeHistogram"] = stats.histogram_entries()
        services.append(service)
    return services


def _time(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)
