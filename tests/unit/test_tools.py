"""The terminal views of make xray and make cw-logs (their LocalStack calls are exercised by
tests/integration)."""

import json

from cw_logs import format_event

from xray_tree import render


def document(**fields):
    return {"Id": fields["id"], "Document": json.dumps(fields)}


def test_segments_nest_under_the_subsegment_that_called_them():
    trace = {
        "Id": "1-5759e988-bd862e3fe1be46a994272793",
        "Duration": 0.5,
        "Segments": [
            document(
                id="2222222222222222",
                name="users-api",
                parent_id="aaaaaaaaaaaaaaaa",
                start_time=10.1,
                end_time=10.2,
                fault=True,
                aws={"xray": {"sdk": "X-Ray for Python"}},
                subsegments=[
                    {
                        "id": "bbbbbbbbbbbbbbbb",
                        "name": "lookup",
                        "start_time": 10.1,
                        "end_time": 10.15,
                        "annotations": {"app_user_found": False},
                    }
                ],
            ),
            document(
                id="1111111111111111",
                name="backend-flask",
                start_time=10.0,
                end_time=10.5,
                aws={"xray": {"sdk": "opentelemetry for python"}},
                http={"request": {"method": "GET", "url": "http://lab/x"}, "response": {"status": 503}},
                subsegments=[
                    {
                        "id": "aaaaaaaaaaaaaaaa",
                        "name": "users-api",
                        "namespace": "remote",
                        "start_time": 10.05,
                        "end_time": 10.3,
                    }
                ],
            ),
        ],
    }

    assert render(trace) == [
        "1-5759e988-bd862e3fe1be46a994272793  500.0 ms",
        "└─ backend-flask  [OpenTelemetry]  500.0 ms  GET http://lab/x 503",
        "   └─ users-api  (remote)  250.0 ms",
        "      └─ users-api  [X-Ray SDK]  100.0 ms FAULT",
        "         └─ lookup  50.0 ms  app_user_found=False",
    ]


def test_log_events_show_json_lines_as_fields():
    event = {
        "timestamp": 0,
        "logStreamName": "backend-flask/abc/7",
        "message": json.dumps({"method": "GET", "status": 200}),
    }
    assert format_event(event) == "00:00:00  backend-flask/abc/7  method=GET status=200"
    assert format_event({**event, "message": "plain text"}).endswith("  plain text")


def test_make_bubbleup_reads_a_selection_and_prints_the_fields_ranked():
    import pytest
    from console_query import bubbleup_report, selection

    assert selection("duration_ms >= 250") == {"field": "duration_ms", "range": [250.0, 1e300]}
    assert selection("duration_ms <= 5") == {"field": "duration_ms", "range": [-1e300, 5.0]}
    assert selection("app.size 1.5..20") == {"field": "app.size", "range": [1.5, 20.0]}
    with pytest.raises(SystemExit, match="write <field> >= <low>"):
        selection("duration_ms is slow")
    answer = {"selected": 4, "baseline": 16, "baseline_sampled": None, "fields": [
        {"field": "app.user.handle", "score": 1.0, "selection": [{"value": "garek", "fraction": 1.0}],
         "baseline": [{"value": "garek", "fraction": 0.0}, {"value": "worf", "fraction": 0.25}]},
    ]}  # fmt: skip
    report = bubbleup_report(answer)
    assert "4 spans selected, against 16 others." in report
    assert " 1.00  app.user.handle" in report and "garek 100%/0%" in report
