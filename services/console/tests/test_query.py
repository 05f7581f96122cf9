"""The console's query model on a real DuckDB store (in memory) with spans made here: the text
form, the translation to SQL (checked through its answers), and bad queries."""

import math
import random
from datetime import timedelta
from itertools import pairwise

import pytest

from console import query as q
from console.query_text import format_query, parse
from console.store import SpanStore, utc_now

# The store's clock in these tests: this hour of the day they run, so every date below is written
# relative to it (a date written out would age past the store's retention on a later day).
NOW = utc_now().replace(minute=0, second=0, microsecond=0)


def hours_ago(hours: float) -> str:
    """A time in the text form's format, `hours` before NOW."""
    return (NOW - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def span(seconds_ago: float, duration_ms: float, name: str = "GET /a", service: str = "backend-flask",
         trace: int = 1, **attributes) -> dict:  # fmt: skip
    return {
        "timestamp": NOW - timedelta(seconds=seconds_ago), "duration_ms": duration_ms,
        "trace.trace_id": f"{trace:032x}", "trace.span_id": f"{random.getrandbits(64):016x}",
        "trace.parent_id": None, "name": name, "service.name": service, "span.kind": "server",
        "status_code": 0, "status_message": None, "error": False, "is_root": True, "attributes": attributes,
    }  # fmt: skip


@pytest.fixture
def store():
    store = SpanStore(clock=lambda: NOW)
    rows = [span(10 + i, 300 + i, name="GET /slow", trace=i) for i in range(40)]
    rows += [
        span(10 + i, 5 + i / 10, name="GET /fast", trace=100 + i, **{"app.result_length": i % 4}) for i in range(40)
    ]
    rows += [span(5000, 1000, name="GET /old", trace=999)]  # outside SINCE 1h
    rows += [span(20, 2, name="users-directory-lookup", service="users-api", trace=500, **{"app.user.found": True})]
    store.ingest(rows)
    return store


def answer(store, text):
    return q.run(store, parse(text))


def test_p90_separates_a_slow_route_from_a_fast_one(store):
    result = answer(store, "VISUALIZE P90(duration_ms), COUNT GROUP BY name ORDER BY P90(duration_ms) DESC SINCE 1h")
    rows = {row[0]: row[1:] for row in result["table"]["rows"]}
    assert rows["GET /slow"][0] >= 300 and rows["GET /slow"][1] == 40
    assert rows["GET /fast"][0] < 10
    assert "GET /old" not in rows
    assert [row[0] for row in result["table"]["rows"]][0] == "GET /slow"


@pytest.mark.parametrize(
    "text, expected_count",
    [
        ("VISUALIZE COUNT SINCE 1h", 81),
        ('VISUALIZE COUNT WHERE name = "GET /slow" SINCE 1h', 40),
        ('VISUALIZE COUNT WHERE name != "GET /slow" SINCE 1h', 41),
        ("VISUALIZE COUNT WHERE duration_ms > 300 SINCE 1h", 39),
        ("VISUALIZE COUNT WHERE duration_ms >= 300 SINCE 1h", 40),
        ("VISUALIZE COUNT WHERE duration_ms < 5 SINCE 1h", 1),
        ("VISUALIZE COUNT WHERE duration_ms <= 5 SINCE 1h", 2),
        ("VISUALIZE COUNT WHERE app.result_length exists SINCE 1h", 40),
        ("VISUALIZE COUNT WHERE app.result_length does-not-exist SINCE 1h", 41),
        ("VISUALIZE COUNT WHERE name contains slow SINCE 1h", 40),
        ("VISUALIZE COUNT WHERE name starts-with users SINCE 1h", 1),
        ('VISUALIZE COUNT WHERE name in ("GET /slow", users-directory-lookup) SINCE 1h', 41),
        ("VISUALIZE COUNT WHERE app.result_length = 3 SINCE 1h", 10),
        ("VISUALIZE COUNT WHERE app.user.found = true SINCE 1h", 1),
        ("VISUALIZE COUNT WHERE service.name = users-api OR duration_ms > 338 SINCE 1h", 2),
        ("VISUALIZE COUNT WHERE service.name = users-api AND duration_ms > 338 SINCE 1h", 0),
        ("VISUALIZE COUNT SINCE 2h", 82),
        (f"VISUALIZE COUNT BETWEEN {hours_ago(2)} AND {hours_ago(1)}", 1),
        (f"VISUALIZE COUNT BETWEEN {hours_ago(1)} AND {hours_ago(0.5)}", 0),
    ],
)
def test_where_and_time_range(store, text, expected_count):
    assert answer(store, text)["table"]["rows"] == [[expected_count]]


@pytest.mark.parametrize(
    "calculation, expected",
    [
        ("COUNT_DISTINCT(trace.trace_id)", 81),  # 40 slow, 40 fast, users-api's
        ("SUM(app.result_length)", 60),
        ("AVG(app.result_length)", 1.5),
        ("MIN(duration_ms)", 2),
        ("MAX(duration_ms)", 339),
        ("P50(duration_ms)", None),
    ],
)
def test_calculations(store, calculation, expected):
    [[value]] = answer(store, f"VISUALIZE {calculation} SINCE 1h")["table"]["rows"]
    if expected is None:  # the median of 81 spans: the 41st value
        assert 8 < value < 301
    else:
        assert value == pytest.approx(expected)


def test_count_grouped_by_trace_id_counts_spans_per_trace(store):
    store.ingest([span(30, 1, trace=7, name=f"child-{i}") for i in range(4)])
    result = answer(
        store, "VISUALIZE COUNT WHERE trace.trace_id = 00000000000000000000000000000007 GROUP BY trace.trace_id"
    )
    assert result["table"]["rows"] == [[f"{7:032x}", 5]]


def test_heatmap_bucket_counts_sum_to_count(store):
    result = answer(store, "VISUALIZE HEATMAP(duration_ms), COUNT SINCE 1h")
    heatmap = result["heatmaps"]["HEATMAP(duration_ms)"]
    assert sum(map(sum, heatmap["counts"])) == heatmap["total"] == result["table"]["rows"][0][0] == 81
    edges = heatmap["edges"]
    assert edges[0] == 2 and edges[-1] == pytest.approx(339) and all(a < b for a, b in pairwise(edges))
    assert len(set(round(b / a, 9) for a, b in pairwise(edges))) == 1  # log-scaled


def test_series_are_one_per_group_over_time(store):
    result = answer(store, "VISUALIZE COUNT GROUP BY name SINCE 1h GRANULARITY 30s")
    assert {tuple(s["group"].values()) for s in result["series"]} == {("GET /slow",), ("GET /fast",),
                                                                        ("users-directory-lookup",)}  # fmt: skip
    for series in result["series"]:
        assert sum(series["values"]["COUNT"]) == {"GET /slow": 40, "GET /fast": 40}.get(series["group"]["name"], 1)
    assert result["range"]["granularity_seconds"] == 30


def test_spans_of_a_table_row_and_of_a_heatmap_cell(store):
    text = "VISUALIZE COUNT GROUP BY name SINCE 1h"
    row = q.spans(store, parse(text), {"group": {"name": "GET /fast"}})
    assert len(row["rows"]) == 40 and {r[4] for r in row["rows"]} == {"GET /fast"}
    cell = q.spans(store, parse(text), {"time": [(NOW - timedelta(minutes=5)).isoformat(), NOW.isoformat()],
                                        "field": "duration_ms", "range": [300, 305]})  # fmt: skip
    assert sorted(r[5] for r in cell["rows"]) == [300, 301, 302, 303, 304, 305]


def test_a_trace_is_every_span_with_its_fields(store):
    spans = q.trace(store, f"{500:032x}")
    assert [s["name"] for s in spans] == ["users-directory-lookup"]
    assert spans[0]["app.user.found"] is True and "app.result_length" not in spans[0]


@pytest.mark.parametrize(
    "text, complaint",
    [
        ("", "empty"),
        ("SELECT * FROM spans", "Expected VISUALIZE at position 0"),
        ("VISUALIZE", "Expected a calculation"),
        ("VISUALIZE P90(duration_ms", "Expected ')'"),
        ("VISUALIZE P42(duration_ms)", "Expected a calculation"),
        ("VISUALIZE P90(nope)", "unknown field 'nope'"),
        ("VISUALIZE P90(name)", "not a number"),
        ("VISUALIZE COUNT(name)", "COUNT takes no field"),
        ("VISUALIZE COUNT WHERE duration_ms > fast", "is not a double value"),
        ("VISUALIZE COUNT WHERE a = 1 AND b = 2 OR c = 3", "not both at position"),
        ("VISUALIZE COUNT WHERE name", "Expected an operator after name"),
        ("VISUALIZE COUNT WHERE name = ", "Expected a value"),
        ('VISUALIZE COUNT WHERE name = "open', "Unexpected"),
        ("VISUALIZE COUNT GROUP name", "Expected BY"),
        ("VISUALIZE COUNT ORDER BY P90(duration_ms)", "order by a calculation or a GROUP BY field"),
        ("VISUALIZE COUNT LIMIT ten", "LIMIT takes a whole number at position 22"),
        ("VISUALIZE COUNT LIMIT 0", "LIMIT: at least 1"),
        ("VISUALIZE COUNT SINCE forever", "Expected a duration"),
        (f"VISUALIZE COUNT BETWEEN {hours_ago(1)} AND {hours_ago(2)}", "start must be before its end"),
        ("VISUALIZE COUNT SINCE 1h extra", "Unexpected 'extra'"),
        ("VISUALIZE COUNT WHERE name in ()", "Expected a value"),
        ('VISUALIZE COUNT GROUP BY ""', "not an empty name at position 25"),
    ],
)
def test_bad_queries_say_what_is_wrong(store, text, complaint):
    with pytest.raises(q.QueryError, match=complaint.replace("(", r"\(").replace(")", r"\)")):
        q.run(store, parse(text))


def test_huge_ranges_granularities_and_limits_are_capped_with_a_message(store):
    result = answer(store, "VISUALIZE COUNT GROUP BY trace.trace_id LIMIT 100000 SINCE 30d GRANULARITY 1s")
    assert result["range"]["start"] == hours_ago(48)
    assert result["range"]["granularity_seconds"] * q.MAX_BUCKETS >= 48 * 3600
    assert len(result["table"]["rows"]) == 82  # every trace of the last 48 hours
    assert any("48 hours" in w for w in result["warnings"])
    assert any("granularity" in w for w in result["warnings"])
    assert any("LIMIT was cut" in w for w in result["warnings"])


def test_the_range_cap_is_the_stores_retention():
    store = SpanStore(retention=timedelta(hours=6), clock=lambda: NOW)
    store.ingest([span(3600 * hours, 1, trace=hours) for hours in (1, 5, 7)])
    result = answer(store, "VISUALIZE COUNT SINCE 30d")
    assert result["range"]["start"] == hours_ago(6)
    assert result["table"]["rows"] == [[2]]
    assert any("last 6 hours" in w for w in result["warnings"])


def test_values_are_bound_never_pasted_into_sql(store):
    hostile = "x'; DROP TABLE spans; --"
    result = answer(store, f'VISUALIZE COUNT WHERE name = "{hostile}" OR name contains "\\" OR 1=1 --" SINCE 1h')
    assert result["table"]["rows"] == [[0]]
    assert store.count() == 82


@pytest.mark.parametrize(
    "text",
    [
        "VISUALIZE P90(duration_ms), COUNT WHERE service.name = backend-flask AND duration_ms > 100 GROUP BY name "
        "ORDER BY P90(duration_ms) DESC LIMIT 10 SINCE 15m",
        'VISUALIZE COUNT WHERE name = "GET /api/activities/@<handle>" SINCE 1h',
        'VISUALIZE HEATMAP(duration_ms) WHERE name in ("a b", c) OR app.user.found exists SINCE 2h GRANULARITY 1m',
        f"VISUALIZE COUNT BETWEEN {hours_ago(2)} AND {hours_ago(0.5)}",
    ],
)
def test_text_form_round_trips(text):
    query = parse(text)
    assert parse(format_query(query)) == query


def test_the_json_form_is_the_same_query():
    query = parse(
        "VISUALIZE P90(duration_ms) WHERE name = x GROUP BY name ORDER BY P90(duration_ms) DESC LIMIT 5 SINCE 15m"
    )
    assert q.from_json(query.to_json()) == query


def test_json_errors_name_the_place():
    with pytest.raises(q.QueryError, match=r"filters\[0\]: unknown operator 'like'"):
        q.from_json({"calculations": [{"op": "COUNT"}], "filters": [{"field": "name", "op": "like", "value": "x"}]})
    with pytest.raises(q.QueryError, match=r"calculations\[0\]: unknown calculation 'MEDIAN'"):
        q.from_json({"calculations": [{"op": "MEDIAN", "field": "duration_ms"}]})


def test_percentiles_match_python_on_random_data():
    store = SpanStore(clock=lambda: NOW)
    values = [random.uniform(0, 1000) for _ in range(500)]
    store.ingest([span(1 + i % 600, value, trace=i) for i, value in enumerate(values)])
    [[p90]] = answer(store, "VISUALIZE P90(duration_ms) SINCE 1h")["table"]["rows"]
    ordered = sorted(values)
    rank = 0.9 * (len(ordered) - 1)
    expected = ordered[math.floor(rank)] + (ordered[math.ceil(rank)] - ordered[math.floor(rank)]) * (rank % 1)
    assert p90 == pytest.approx(expected)


def test_retention_is_measured_on_the_stores_clock():
    clock = [NOW - timedelta(days=90)]  # far behind the real clock: by the real one, every span is old
    store = SpanStore(retention=timedelta(hours=48), clock=lambda: clock[0])

    def aged(hours: float, trace: int) -> dict:
        return span(0, 1, trace=trace) | {"timestamp": clock[0] - timedelta(hours=hours)}

    store.ingest([aged(1, trace=1), aged(47, trace=2), aged(49, trace=3)])
    kept = store.query('SELECT "trace.trace_id" FROM spans ORDER BY 1')[1]
    assert kept == [(f"{1:032x}",), (f"{2:032x}",)]  # only the span older than 48 h on that clock is gone
    clock[0] += timedelta(hours=2)
    store.prune()
    assert store.query('SELECT "trace.trace_id" FROM spans')[1] == [(f"{1:032x}",)]


def test_the_store_bounds_duckdbs_memory(tmp_path):
    store = SpanStore(str(tmp_path / "spans.duckdb"), memory_limit="100MB")
    _, [(limit, threshold)] = store.query(
        "SELECT current_setting('memory_limit'), current_setting('checkpoint_threshold')"
    )
    assert (limit, threshold) == ("95.3 MiB", "3.8 MiB")  # DuckDB shows MB in MiB
    store.close()
