"""Two traces compared as one tree: matched by service and name under a matched parent."""

from console.compare import compare


def _span(span_id, parent, service, name, ms, start="2026-01-01T00:00:00.000Z"):
    return {"trace.span_id": span_id, "trace.parent_id": parent, "service.name": service, "name": name,
            "duration_ms": ms, "timestamp": start}  # fmt: skip


FAST = [
    _span("a1", None, "backend-flask", "GET /api/activities/@<handle>", 12),
    _span("a2", "a1", "backend-flask", "GET", 6, "2026-01-01T00:00:00.001Z"),
    _span("a3", "a2", "users-api", "GET /users/@<handle>", 4, "2026-01-01T00:00:00.002Z"),
    _span("a4", "a1", "backend-flask", "user-activities", 1, "2026-01-01T00:00:00.008Z"),
]
SLOW = [
    _span("b1", None, "backend-flask", "GET /api/activities/@<handle>", 215),
    _span("b2", "b1", "backend-flask", "GET", 208, "2026-01-01T00:00:00.001Z"),
    _span("b3", "b2", "users-api", "GET /users/@<handle>", 205, "2026-01-01T00:00:00.002Z"),
    _span("b4", "b1", "backend-flask", "user-activities", 1.5, "2026-01-01T00:00:00.210Z"),
    _span("b5", "b3", "users-api", "users-directory-lookup", 1, "2026-01-01T00:00:00.003Z"),
]


def test_matched_spans_pair_up_in_tree_order_with_their_differences():
    rows = compare(FAST, SLOW)["rows"]
    assert [(r["depth"], r["service"], r["name"], r["in"]) for r in rows] == [
        (0, "backend-flask", "GET /api/activities/@<handle>", "both"),
        (1, "backend-flask", "GET", "both"),
        (2, "users-api", "GET /users/@<handle>", "both"),
        (3, "users-api", "users-directory-lookup", "b"),
        (1, "backend-flask", "user-activities", "both"),
    ]
    lookup = rows[2]
    assert (lookup["a_ms"], lookup["b_ms"], lookup["diff_ms"]) == (4, 205, 201)
    assert (lookup["a_span_id"], lookup["b_span_id"]) == ("a3", "b3")
    assert rows[3]["a_ms"] is None and rows[3]["diff_ms"] == 1


def _with_self_times(spans):
    # As query.trace() gives them: duration less the children's.
    children = {}
    for span in spans:
        children.setdefault(span["trace.parent_id"], []).append(span["duration_ms"])
    return [{**s, "self_ms": s["duration_ms"] - sum(children.get(s["trace.span_id"], []))} for s in spans]


def test_the_biggest_self_time_difference_comes_first_and_points_at_users_api():
    differences = compare(_with_self_times(FAST), _with_self_times(SLOW))["differences"]
    # Every ancestor's duration grew by the lookup's 200 ms; only users-api's own time did.
    assert (differences[0]["service"], differences[0]["name"]) == ("users-api", "GET /users/@<handle>")
    assert differences[0]["self_diff_ms"] == 200
    assert [abs(d["self_diff_ms"]) for d in differences] == sorted(
        (abs(d["self_diff_ms"]) for d in differences), reverse=True
    )


def test_without_self_times_durations_are_compared():
    differences = compare(FAST, SLOW)["differences"]
    assert differences[0]["name"] == "GET /api/activities/@<handle>"  # the root holds everything


def test_repeated_children_pair_in_start_order_and_extras_are_in_one_trace_only():
    a = [_span("r", None, "s", "root", 10), _span("x1", "r", "s", "call", 1, "2026-01-01T00:00:01Z"),
         _span("x2", "r", "s", "call", 2, "2026-01-01T00:00:02Z")]  # fmt: skip
    b = [_span("R", None, "s", "root", 10), _span("y1", "R", "s", "call", 3, "2026-01-01T00:00:01Z")]
    rows = compare(a, b)["rows"]
    calls = [r for r in rows if r["name"] == "call"]
    assert [(c["a_ms"], c["b_ms"], c["in"]) for c in calls] == [(1, 3, "both"), (2, None, "a")]


def test_hostile_traces_compare_without_errors():
    deep = [_span("s0", None, "s", "n", 1)] + [_span(f"s{i}", f"s{i - 1}", "s", "n", 1) for i in range(1, 3000)]
    assert len(compare(deep, deep)["rows"]) == 3000  # deeper than Python's recursion allows
    loop = [_span("a", "b", "s", "n", 1), _span("b", "a", "s", "n", 1)]
    assert compare(loop, [])["rows"] == []  # no root: nothing to line up
    twice = [_span("x", None, "s", "n", 1), _span("x", None, "s", "n", 2), _span("c", "x", "s", "c", 1)]
    assert len(compare(twice, twice)["rows"]) == 3
    assert compare([], [])["rows"] == []
