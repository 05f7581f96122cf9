"""Honeycomb's Query Specification JSON, posted to /api/query as it is copied from Honeycomb."""

import pytest
from test_api import TRACE, client, otlp_payload, send  # noqa: F401  (client is a fixture)

from console import honeycomb_query
from console.query import Having, Order


def test_a_honeycomb_query_reads_as_the_same_query():
    q = honeycomb_query.to_query({
        "breakdowns": ["name"],
        "calculations": [{"op": "COUNT"}, {"op": "P90", "column": "duration_ms"},
                         {"op": "HEATMAP", "column": "duration_ms"}],
        "filters": [{"column": "service.name", "op": "=", "value": "backend-flask"},
                    {"column": "http.route", "op": "does-not-start-with", "value": "/admin"}],
        "filter_combination": "AND",
        "orders": [{"op": "P90", "column": "duration_ms", "order": "descending"}, {"column": "name"}],
        "havings": [{"calculate_op": "COUNT", "op": ">", "value": 1}],
        "limit": 10, "time_range": 3600, "granularity": 60,
    })  # fmt: skip
    assert [c.label for c in q.calculations] == ["COUNT", "P90(duration_ms)", "HEATMAP(duration_ms)"]
    assert q.group_by == ["name"] and q.limit == 10
    assert q.order_by == [Order("P90(duration_ms)", True), Order("name", False)]
    assert q.havings == [Having("COUNT", ">", 1.0)]
    assert q.since.total_seconds() == 3600 and q.granularity.total_seconds() == 60
    assert q.filters[1].op == "does-not-start-with"


def test_start_and_end_times_give_the_range():
    q = honeycomb_query.to_query({"calculations": [{"op": "COUNT"}], "start_time": 1_700_000_000, "time_range": 600})
    assert (q.end - q.start).total_seconds() == 600 and q.since is None
    q = honeycomb_query.to_query({"breakdowns": [], "start_time": 1_700_000_000, "end_time": 1_700_000_060})
    assert (q.end - q.start).total_seconds() == 60
    assert [c.op for c in q.calculations] == ["COUNT"]  # none given: Honeycomb counts


def test_the_console_tells_its_own_form_from_honeycombs():
    assert honeycomb_query.looks_like({"calculations": [{"op": "P90", "column": "duration_ms"}]})
    assert honeycomb_query.looks_like({"breakdowns": ["name"]})
    assert not honeycomb_query.looks_like({"calculations": [{"op": "P90", "field": "duration_ms"}], "group_by": []})


def test_posted_to_the_api_it_answers_like_the_text_form(client):  # noqa: F811
    send(client, otlp_payload(TRACE, [("GET /a", "a000000000000001", None, 5.0, {}),
                                      ("GET /a", "a000000000000002", None, 7.0, {}),
                                      ("GET /b", "a000000000000003", None, 1.0, {})]))  # fmt: skip
    body = {"breakdowns": ["name"], "calculations": [{"op": "COUNT"}, {"op": "MAX", "column": "duration_ms"}],
            "orders": [{"op": "COUNT", "order": "descending"}],
            "havings": [{"calculate_op": "COUNT", "op": ">", "value": 1}],
            "time_range": 3600}  # fmt: skip
    answer = client.post("/api/query", json=body).get_json()
    assert answer["table"]["rows"] == [["GET /a", 2, 7.0]]  # GET /b has one span: HAVING COUNT > 1 drops it
    assert (
        answer["text"]
        == "VISUALIZE COUNT, MAX(duration_ms) GROUP BY name HAVING COUNT > 1 ORDER BY COUNT DESC SINCE 1h"
    )
    same = client.post("/api/query", json={"text": answer["text"]}).get_json()
    assert same["table"] == answer["table"]


@pytest.mark.parametrize(
    "body, named",
    [({"breakdowns": ["name"], "calculated_fields": []}, "calculated_fields"),
     ({"calculations": [{"op": "RATE_AVG", "column": "x"}]}, "RATE_AVG"),
     ({"calculations": [{"op": "CONCURRENCY"}], "time_range": 60}, "CONCURRENCY"),
     ({"filters": [{"column": "a", "op": "=", "value": 1, "negate": True}]}, "negate"),
     ({"orders": [{"column": "name", "order": "sideways"}]}, "ascending or descending"),
     ({"breakdowns": [], "havings": [{"calculate_op": "COUNT", "op": "~", "value": 1}]}, "havings[0]"),
     ({"breakdowns": [], "havings": [{"calculate_op": "COUNT", "op": ">", "value": "ten"}]}, "havings[0].value"),
     ({"time_range": -5}, "time_range"), ({"filter_combination": "XOR", "breakdowns": []}, "filter_combination")],
)  # fmt: skip
def test_unknown_parts_are_answered_400_with_their_name(client, body, named):  # noqa: F811
    response = client.post("/api/query", json=body)
    assert response.status_code == 400
    assert named in response.get_json()["message"]


def test_the_consoles_own_form_refuses_unknown_parts_too(client):  # noqa: F811
    response = client.post("/api/query", json={"calculations": [{"op": "COUNT"}], "group_bye": ["name"]})
    assert response.status_code == 400 and "group_bye" in response.get_json()["message"]
