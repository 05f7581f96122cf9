"""Segments, trace summaries, service graphs and sampling of the X-Ray provider, as plain
Python (its LocalStack side is tested against LocalStack in tests/integration)."""

import json

import pytest

from obslab_xray import graph, sampling
from obslab_xray.segments import SegmentError, Trace, parse_document

TRACE_ID = "1-5759e988-bd862e3fe1be46a994272793"


def segment(**fields):
    base = {
        "name": "backend-flask",
        "id": "70de5b6f19ff9a0a",
        "trace_id": TRACE_ID,
        "start_time": 1000.0,
        "end_time": 1000.5,
    }
    return {**base, **fields}


@pytest.mark.parametrize(
    "document, code",
    [
        ("{", "InvalidJSON"),
        ("[]", "InvalidJSON"),
        (json.dumps(segment(id="xyz")), "MissingId"),
        (json.dumps(segment(name="")), "InvalidName"),
        (json.dumps(segment(name="x" * 201)), "InvalidName"),
        (json.dumps(segment(trace_id="1-abc")), "InvalidTraceId"),
        (json.dumps(segment(start_time="now")), "InvalidStartTime"),
        (json.dumps(segment(end_time=999.0)), "InvalidEndTime"),
        (json.dumps({k: v for k, v in segment().items() if k != "end_time"}), "MissingEndTime"),
        (json.dumps(segment(parent_id="nope")), "InvalidParentId"),
        (json.dumps(segment(type="subsegment")), "MissingParentId"),
        (json.dumps(segment(annotations={"big": "x" * 70000})), "DocumentTooLarge"),
    ],
)
def test_invalid_documents_are_named(document, code):
    with pytest.raises(SegmentError) as error:
        parse_document(document)
    assert error.value.code == code
    assert "ErrorCode" in error.value.unprocessed()


def test_in_progress_segments_are_accepted_and_replaced_when_complete():
    trace = Trace(TRACE_ID)
    started = {k: v for k, v in segment(in_progress=True).items() if k != "end_time"}
    trace.add(parse_document(json.dumps(started)), json.dumps(started))
    assert trace.summary()["IsPartial"] is True
    trace.add(parse_document(json.dumps(segment())), json.dumps(segment()))
    assert trace.summary()["IsPartial"] is False
    assert len(trace.documents()) == 1


def two_service_trace() -> Trace:
    """backend-flask calls users-api (which answers 503) and an uninstrumented service."""
    front = segment(
        http={"request": {"url": "http://lab/api/activities/@worf", "method": "GET"}, "response": {"status": 503}},
        fault=True,
        annotations={"app_user_handle": "worf"},
        subsegments=[
            {
                "id": "aaaaaaaaaaaaaaaa",
                "name": "users-api",
                "namespace": "remote",
                "start_time": 1000.1,
                "end_time": 1000.3,
                "fault": True,
            },
            {
                "id": "bbbbbbbbbbbbbbbb",
                "name": "geo-api",
                "namespace": "remote",
                "start_time": 1000.3,
                "end_time": 1000.4,
            },
            {
                "id": "cccccccccccccccc",
                "name": "user-activities",
                "start_time": 1000.4,
                "end_time": 1000.45,
                "annotations": {"app_result_length": 0},
            },
        ],
    )
    back = segment(
        name="users-api",
        id="1111111111111111",
        parent_id="aaaaaaaaaaaaaaaa",
        start_time=1000.15,
        end_time=1000.25,
        fault=True,
        annotations={"app_user_found": True},
    )
    trace = Trace(TRACE_ID)
    for doc in (front, back):
        trace.add(doc, json.dumps(doc))
    return trace


def test_summary_is_filled_from_the_segments():
    summary = two_service_trace().summary()

    assert summary["EntryPoint"]["Name"] == "backend-flask"
    assert summary["Http"] == {"HttpURL": "http://lab/api/activities/@worf", "HttpStatus": 503, "HttpMethod": "GET"}
    assert [s["Name"] for s in summary["ServiceIds"]] == ["backend-flask", "geo-api", "users-api"]
    assert summary["ResponseTime"] == pytest.approx(0.5)
    assert summary["Duration"] == pytest.approx(0.5)
    assert (summary["HasFault"], summary["HasError"], summary["HasThrottle"]) == (True, False, False)
    assert summary["Annotations"]["app_result_length"] == [
        {"AnnotationValue": {"NumberValue": 0.0}, "ServiceIds": [{"Name": "backend-flask", "Names": ["backend-flask"]}]}
    ]
    assert summary["Annotations"]["app_user_found"][0]["ServiceIds"][0]["Name"] == "users-api"


def test_service_graph_has_nodes_edges_and_counts():
    services = {s["Name"]: s for s in graph.service_graph([two_service_trace()])}
    names = {s["ReferenceId"]: name for name, s in services.items()}

    assert set(services) == {"client", "backend-flask", "users-api", "geo-api"}
    assert [names[e["ReferenceId"]] for e in services["client"]["Edges"]] == ["backend-flask"]
    assert sorted(names[e["ReferenceId"]] for e in services["backend-flask"]["Edges"]) == ["geo-api", "users-api"]
    assert services["backend-flask"]["Root"] and not services["users-api"]["Root"]
    assert services["geo-api"]["Type"] == "remote"
    to_users = next(e for e in services["backend-flask"]["Edges"] if names[e["ReferenceId"]] == "users-api")
    assert to_users["SummaryStatistics"]["FaultStatistics"]["TotalCount"] == 1
    assert to_users["SummaryStatistics"]["TotalResponseTime"] == pytest.approx(0.1)
    assert to_users["ResponseTimeHistogram"] == [{"Value": 0.1, "Count": 1}]
    assert services["users-api"]["SummaryStatistics"]["TotalCount"] == 1


RULE = {
    "RuleName": "Cruddur",
    "ResourceARN": "*",
    "Priority": 9000,
    "FixedRate": 0.1,
    "ReservoirSize": 5,
    "ServiceName": "backend-flask",
    "ServiceType": "*",
    "Host": "*",
    "HTTPMethod": "*",
    "URLPath": "*",
    "Version": 1,
}


@pytest.mark.parametrize(
    "change, message",
    [
        ({"RuleName": "bad name"}, "RuleName"),
        ({"RuleName": "Default"}, "Default"),
        ({"Version": 2}, "Version"),
        ({"Priority": 0}, "Priority"),
        ({"FixedRate": 1.5}, "FixedRate"),
        ({"ReservoirSize": -1}, "ReservoirSize"),
        ({"ReservoirSize": True}, "ReservoirSize"),
        ({"URLPath": ""}, "URLPath"),
        ({"HTTPMethod": "G" * 11}, "HTTPMethod"),
    ],
)
def test_invalid_rules_are_refused(change, message):
    with pytest.raises(sampling.RuleError, match=message):
        sampling.validate_rule({**RULE, **change})


def test_default_rule_only_changes_its_rates():
    default = sampling.default_rule("us-east-1", "000000000000")
    assert sampling.apply_update(default, {"FixedRate": 0.5})["FixedRate"] == 0.5
    with pytest.raises(sampling.RuleError):
        sampling.apply_update(default, {"URLPath": "/x"})


def test_reservoir_is_shared_by_the_reporting_clients():
    targets = sampling.Targets()
    rules = {"Cruddur": RULE}

    def quota(client, now):
        [target], _ = targets.report([{"RuleName": "Cruddur", "ClientID": client, "RequestCount": 1}], rules, now)
        return target["ReservoirQuota"]

    assert quota("a", 0) == 5
    quota("b", 1)  # b joins; a's share shrinks at a's next report
    assert quota("a", 10) + quota("b", 11) == 5
    # A client silent for more than two intervals no longer takes a share.
    assert quota("b", 1 + 3 * sampling.TARGET_INTERVAL_SECONDS) == 5


def test_targets_report_unknown_rules():
    targets, unprocessed = sampling.Targets().report([{"RuleName": "Gone", "ClientID": "a"}], {"Cruddur": RULE})
    assert targets == [] and unprocessed[0]["RuleName"] == "Gone"


def test_independent_subsegments_merge_into_their_segment():
    """The collector's awsxray exporter sends client and internal spans as independent
    subsegments; X-Ray shows them inside their segment, and so must graphs and summaries."""
    server = segment(id="aaaaaaaaaaaaaaaa", parent_id="0123456789abcdef")  # parent: the caller's span
    client = {
        "type": "subsegment",
        "id": "bbbbbbbbbbbbbbbb",
        "parent_id": "aaaaaaaaaaaaaaaa",
        "trace_id": TRACE_ID,
        "name": "GET",
        "namespace": "remote",
        "start_time": 1000.1,
        "end_time": 1000.3,
    }
    internal = {
        "type": "subsegment",
        "id": "cccccccccccccccc",
        "parent_id": "bbbbbbbbbbbbbbbb",
        "trace_id": TRACE_ID,
        "name": "retry",
        "start_time": 1000.1,
        "end_time": 1000.2,
        "annotations": {"attempt": 1},
    }
    downstream = segment(
        name="users-api", id="dddddddddddddddd", parent_id="bbbbbbbbbbbbbbbb", start_time=1000.15, end_time=1000.25
    )
    trace = Trace(TRACE_ID)
    for doc in (downstream, internal, client, server):  # any arrival order
        trace.add(doc, json.dumps(doc))

    documents = {d["Id"]: json.loads(d["Document"]) for d in trace.documents()}
    assert set(documents) == {"aaaaaaaaaaaaaaaa", "dddddddddddddddd"}
    [merged_client] = documents["aaaaaaaaaaaaaaaa"]["subsegments"]
    assert merged_client["id"] == "bbbbbbbbbbbbbbbb" and "parent_id" not in merged_client
    assert merged_client["subsegments"][0]["name"] == "retry"
    assert trace.annotations() == {"attempt": [(1, "backend-flask")]}
    services = {s["Name"]: s for s in graph.service_graph([trace])}
    by_reference = {s["ReferenceId"]: name for name, s in services.items()}
    assert [by_reference[e["ReferenceId"]] for e in services["backend-flask"]["Edges"]] == ["users-api"]
    assert "GET" not in services


def test_a_subsegment_waiting_for_its_parent_stays_on_its_own():
    orphan = {
        "type": "subsegment",
        "id": "bbbbbbbbbbbbbbbb",
        "parent_id": "aaaaaaaaaaaaaaaa",
        "trace_id": TRACE_ID,
        "name": "GET",
        "start_time": 1000.1,
        "end_time": 1000.3,
    }
    trace = Trace(TRACE_ID)
    trace.add(orphan, json.dumps(orphan))
    assert [d["Id"] for d in trace.documents()] == ["bbbbbbbbbbbbbbbb"]


def test_start_and_end_follow_a_document_sent_again():
    trace = Trace(TRACE_ID)
    started = {k: v for k, v in segment(start_time=1000.0, in_progress=True).items() if k != "end_time"}
    trace.add(started, json.dumps(started))
    assert (trace.start, trace.end) == (1000.0, 1000.0)
    trace.add(segment(end_time=1002.0), json.dumps(segment(end_time=1002.0)))
    assert (trace.start, trace.end, trace.duration) == (1000.0, 1002.0, 2.0)
    trace.add(segment(start_time=1001.0, end_time=1001.5), json.dumps(segment(start_time=1001.0, end_time=1001.5)))
    assert (trace.start, trace.end) == (1001.0, 1001.5)  # replaced, not widened


def test_a_trace_is_stored_packed_and_its_derived_values_are_bounded(monkeypatch):
    monkeypatch.setattr("obslab_xray.segments.DERIVED_CACHE", 3)
    monkeypatch.setattr(Trace, "_derived", type(Trace._derived)())
    documents = [json.dumps(segment(annotations={"n": n, "padding": "cruddur " * 40})) for n in range(5)]
    traces = []
    for n, document in enumerate(documents):
        trace = Trace(f"1-5759e988-{n:024x}")
        trace.add(json.loads(document), document)
        assert trace.view().annotations == {"n": [n], "padding": ["cruddur " * 40]}
        traces.append(trace)
    assert len(trace._packed) < len(document) / 2
    assert list(Trace._derived) == traces[-3:]  # the least recently used were dropped...
    assert traces[0].view().annotations["n"] == [0]  # ...and are worked out again when asked
    assert list(Trace._derived) == [*traces[-2:], traces[0]]
