"""Two traces side by side, as one tree (Jaeger's trace comparison, Grafana's comparison tab).

Spans are matched by where they sit: their service and name, under a matched parent, the first
such child of trace A with the first of trace B, the second with the second, and so on (children
in start order). Each matched pair gives both durations and their difference, and both self
times (the span's time less its children's, as query.trace() gives them) and theirs; a span
with no match is in one trace only. The rows come in tree order, and again ranked by the size of
the self-time difference, then of the duration's: a parent's duration holds its children's, so
its self time says where the time went.
"""

from dataclasses import dataclass


@dataclass
class Node:
    key: tuple[str, str]  # (service, name)
    spans: dict  # "a" / "b" -> span
    children: list["Node"]


def _children_by_parent(spans: list[dict]) -> tuple[list[dict], dict[str, list[dict]]]:
    ids = {s.get("trace.span_id") for s in spans}
    roots, children = [], {}
    for span in sorted(spans, key=lambda s: (s.get("timestamp") or "", s.get("trace.span_id") or "")):
        parent = span.get("trace.parent_id")
        if parent and parent in ids and parent != span.get("trace.span_id"):
            children.setdefault(parent, []).append(span)
        else:
            roots.append(span)
    return roots, children


def _key(span: dict) -> tuple[str, str]:
    return (str(span.get("service.name") or ""), str(span.get("name") or ""))


def merge(a: list[dict], b: list[dict]) -> Node:
    """Both traces as one tree under a root that stands for neither."""
    top = Node(("", ""), {}, [])
    trees = {"a": _children_by_parent(a), "b": _children_by_parent(b)}
    todo = [(top, {"a": trees["a"][0], "b": trees["b"][0]})]
    seen = set()
    while todo:
        node, kids = todo.pop()
        slots: dict[tuple, Node] = {}
        order: list[Node] = []
        for side in ("a", "b"):
            count: dict[tuple, int] = {}
            for span in kids[side]:
                key = _key(span)
                slot = (key, count.get(key, 0))
                count[key] = slot[1] + 1
                if slot not in slots:
                    slots[slot] = Node(key, {}, [])
                    order.append(slots[slot])
                slots[slot].spans[side] = span
        node.children = order
        for child in order:
            next_kids = {}
            for side, span in child.spans.items():
                span_id = span.get("trace.span_id")
                # A repeated span id would link a subtree twice: each is walked once.
                if (side, span_id) in seen:
                    next_kids[side] = []
                    continue
                seen.add((side, span_id))
                next_kids[side] = trees[side][1].get(span_id, [])
            todo.append((child, {"a": next_kids.get("a", []), "b": next_kids.get("b", [])}))
    return top


def _ms(span: dict | None, field: str = "duration_ms") -> float | None:
    if span is None:
        return None
    value = span.get(field, span.get("duration_ms"))
    return round(float(value or 0.0), 3)


def compare(a: list[dict], b: list[dict]) -> dict:
    """{"rows": tree order, "differences": the same rows, the biggest self-time difference first}."""
    rows = []
    stack = [(child, 0) for child in reversed(merge(a, b).children)]
    while stack:
        node, depth = stack.pop()
        a_ms, b_ms = _ms(node.spans.get("a")), _ms(node.spans.get("b"))
        a_self, b_self = _ms(node.spans.get("a"), "self_ms"), _ms(node.spans.get("b"), "self_ms")
        rows.append({
            "depth": depth, "service": node.key[0], "name": node.key[1],
            "in": "both" if a_ms is not None and b_ms is not None else ("a" if a_ms is not None else "b"),
            "a_ms": a_ms, "b_ms": b_ms, "diff_ms": round((b_ms or 0.0) - (a_ms or 0.0), 3),
            "a_self_ms": a_self, "b_self_ms": b_self, "self_diff_ms": round((b_self or 0.0) - (a_self or 0.0), 3),
            "a_span_id": (node.spans.get("a") or {}).get("trace.span_id"),
            "b_span_id": (node.spans.get("b") or {}).get("trace.span_id"),
        })  # fmt: skip
        stack.extend((child, depth + 1) for child in reversed(node.children))
    ranked = sorted(range(len(rows)), key=lambda i: (-abs(rows[i]["self_diff_ms"]), -abs(rows[i]["diff_ms"]), i))
    return {"rows": rows, "differences": [rows[i] for i in ranked]}
