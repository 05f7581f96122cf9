"""The console's Logs Insights table and chart choice, from GetQueryResults answers written out
here (what LocalStack really answers is tests/integration/test_insights.py's job)."""

import pytest

from console import insights
from console.query import QueryError


def _answer(*rows: dict, pointers: bool = False) -> dict:
    results = []
    for n, row in enumerate(rows):
        cells = [{"field": k, "value": v} for k, v in row.items()]
        results.append(cells + ([{"field": "@ptr", "value": f"p{n}"}] if pointers else []))
    return {"status": "Complete", "results": results, "statistics": {"recordsMatched": 3.0}}


def test_columns_keep_the_order_fields_first_appear_and_null_fields_are_absent():
    table = insights.table("q", _answer({"route": "/a", "n": "1"}, {"service": "b", "route": "/b", "n": "2"}))
    assert table["columns"] == ["route", "n", "service"]
    assert table["rows"][0] == {"route": "/a", "n": "1"}
    assert table["pointers"] == []


def test_events_keep_their_pointers_and_get_no_chart():
    table = insights.table("q", _answer({"@timestamp": "2026-12-03 10:00:00.000", "status": "500"}, pointers=True))
    assert table["pointers"] == ["p0"] and table["chart"] is None
    assert "@ptr" not in table["columns"]


def test_grouping_by_bin_draws_lines_one_per_other_group():
    table = insights.table("q", _answer(
        {"bin(5m)": "2026-12-03 10:00:00.000", "service": "users-api", "requests": "4"},
        {"bin(5m)": "2026-12-03 10:05:00.000", "service": "backend-flask", "requests": "7"},
    ))  # fmt: skip
    assert table["chart"] == {"kind": "line", "x": "bin(5m)", "y": ["requests"], "series": ["service"]}


def test_grouping_by_fields_draws_bars_of_the_aggregates():
    table = insights.table(
        "q", _answer({"route": "/a", "p90": "12.5", "n": "3"}, {"route": "/b", "p90": "3", "n": "9"})
    )
    assert table["chart"] == {"kind": "bar", "x": "route", "y": ["p90", "n"], "series": []}


def test_grouping_by_a_number_draws_bars_against_it():
    table = insights.table("q", _answer({"status": "200", "count()": "40"}, {"status": "500", "count()": "2"}))
    assert table["chart"] == {"kind": "bar", "x": "status", "y": ["count()"], "series": []}


def test_a_table_of_text_only_gets_no_chart():
    assert insights.table("q", _answer({"route": "/a"}, {"route": "/b"}))["chart"] is None


@pytest.mark.parametrize("query, groups", [(None, ["g"]), ("  ", ["g"]), ("x" * 10_001, ["g"]), ("q", []),
                                           ("q", [1]), ("q", ["g"] * 51), ("q", None)])  # fmt: skip
def test_bad_requests_are_refused_before_localstack_is_asked(query, groups):
    with pytest.raises(QueryError):
        insights.validate(query, groups)


def test_one_group_may_be_given_as_a_name():
    assert insights.validate("stats count()", "cruddur") == ("stats count()", ["cruddur"])
