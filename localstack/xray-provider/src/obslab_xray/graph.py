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

from obslab_xray.segments import Trace, node_type

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
        for caller, callee, inferred in trace.calls():
            name = callee["name"]
            nodes[name].record(callee)
            node_types.setdefault(name, node_type(callee, inferred))
            if caller is None:
                roots.add(name)
                nodes[CLIENT].record(callee)
                node_types[CLIENT] = "client"
            edges[(CLIENT if caller is None else caller["name"], name)].record(callee)

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
