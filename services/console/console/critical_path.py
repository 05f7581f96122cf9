"""Self time and the critical path of a trace, as Jaeger's UI computes them.

The critical path is the chain of work that set the trace's end-to-end duration: walking back
from the root span's end, the child that finished last (before the point reached) is followed
into, and when a span has no child left that finished before that point, the walk goes on in its
parent from where the span started. Children that ran in parallel with it are skipped, and a
child that outlived its parent (or started before it) is first cut to its parent's bounds, as
Jaeger's UI does (TracePage/CriticalPath). A span whose parent is not in the trace starts a tree
of its own; the path is walked in the tree of the trace's root span (the earliest span without
a parent in the trace).

A span's self time is its duration less the time any of its children ran (their union, inside
the span): the time it was the one working.
"""

from dataclasses import dataclass, field


@dataclass
class Span:
    span_id: str
    parent_id: str | None
    start: float  # milliseconds, any origin
    end: float
    children: list["Span"] = field(default_factory=list)


@dataclass(frozen=True)
class Section:
    span_id: str
    start: float
    end: float


def build(spans: list[Span]) -> list[Span]:
    """Link children to parents; the spans without a parent in the trace, earliest first."""
    by_id = {span.span_id: span for span in spans}
    roots = []
    for span in spans:
        span.children = []
    for span in spans:
        parent = by_id.get(span.parent_id) if span.parent_id and span.parent_id != span.span_id else None
        (parent.children if parent else roots).append(span)
    return sorted(roots, key=lambda s: (s.start, -s.end))


def self_times(spans: list[Span]) -> dict[str, float]:
    """Each span's self time in milliseconds (build() first)."""
    times = {}
    for span in spans:
        busy, cursor = 0.0, span.start
        for child in sorted(span.children, key=lambda c: c.start):
            start, end = max(child.start, cursor), min(child.end, span.end)
            if end > start:
                busy += end - start
                cursor = end
        times[span.span_id] = max(0.0, (span.end - span.start) - busy)
    return times


def _clipped_tree(root: Span) -> tuple[Span, dict[str, Span]]:
    """A copy of the root's tree with every span cut to its parent's bounds (children wholly
    outside their parent dropped), each span's children the last to end first, and each copied
    span's parent by id. Iterative: a trace is input from anyone, and may nest deeper than
    Python's recursion allows."""
    top = Span(root.span_id, root.parent_id, root.start, max(root.start, root.end))
    parents: dict[str, Span] = {}
    todo = [(root, top)]
    while todo:
        original, copy = todo.pop()
        for child in original.children:
            if child.end > copy.start and child.start < copy.end:
                start = max(child.start, copy.start)
                cut = Span(child.span_id, child.parent_id, start, max(start, min(child.end, copy.end)))
                copy.children.append(cut)
                parents[cut.span_id] = copy
                todo.append((child, cut))
        copy.children.sort(key=lambda c: c.end, reverse=True)
    return top, parents


def critical_path(roots: list[Span], count: int) -> list[Section]:
    """The critical path in the tree of the trace's root, latest section first: `roots` as
    build() gives them, `count` the number of spans (a bound on the walk)."""
    if not roots:
        return []
    # The trace's root: the earliest span without a parent id; failing that (the root is missing),
    # the earliest span whose parent is not in the trace.
    root = next((r for r in roots if not r.parent_id or r.parent_id == r.span_id), roots[0])
    root, parents = _clipped_tree(root)
    path: list[Section] = []
    span, barrier = root, None
    # How many of each span's children (last to end first) were passed over: coming back to a
    # span, the barrier is always earlier than the time before, so they never need a second look
    # (a wide trace stays linear, not quadratic).
    passed: dict[int, int] = {}
    # Iterative form of Jaeger's recursion; each step moves into a child or up to a parent.
    for _ in range(4 * count + 4):
        children, last = span.children, None
        if barrier is None:
            last = children[0] if children else None
        else:
            i = passed.get(id(span), 0)
            while i < len(children) and children[i].end >= barrier:
                i += 1
            passed[id(span)] = i
            last = children[i] if i < len(children) else None
        until = span.end if barrier is None else barrier
        if last is not None:
            if last.end != until:
                path.append(Section(span.span_id, last.end, until))
            span, barrier = last, None
            continue
        if span.start != until:
            path.append(Section(span.span_id, span.start, until))
        parent = parents.get(span.span_id)
        if parent is None:
            break
        span, barrier = parent, span.start
    return path


@dataclass(frozen=True)
class Analysis:
    self_ms: dict[str, float]
    critical_ms: dict[str, float]  # time of each span on the critical path (spans off it: absent)
    sections: list[Section]


def analyse(spans: list[Span]) -> Analysis:
    roots = build(spans)
    sections = critical_path(roots, len(spans))
    critical: dict[str, float] = {}
    for section in sections:
        critical[section.span_id] = critical.get(section.span_id, 0.0) + section.end - section.start
    return Analysis(self_times(spans), critical, sections)
