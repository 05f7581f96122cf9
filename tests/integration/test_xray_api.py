"""LocalStack's X-Ray API (our provider plugin), driven with the AWS CLI from PyPI as a user
would, on traces of real requests to the lab."""

import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from .lab import REGION, CliError, new_ids
from .lab import aws_cli as aws

pytestmark = pytest.mark.integration


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# --- Defaults created by LocalStack's init hooks ---


def test_init_hooks_create_the_exercise_defaults(lab):
    group = aws(lab, "xray", "get-group", "--group-name", "Cruddur")["Group"]
    assert group["FilterExpression"] == 'service("backend-flask") {fault OR error}'
    rules = {
        r["SamplingRule"]["RuleName"]: r["SamplingRule"]
        for r in aws(lab, "xray", "get-sampling-rules")["SamplingRuleRecords"]
    }
    assert {key: rules["Cruddur"][key] for key in ("FixedRate", "ReservoirSize", "ServiceName", "Priority")} == {
        "FixedRate": 0.1,
        "ReservoirSize": 5,
        "ServiceName": "backend-flask",
        "Priority": 9000,
    }
    assert rules["HealthChecks"]["URLPath"] == "/health" and rules["HealthChecks"]["FixedRate"] == 0
    assert "Default" in rules


# --- Groups ---


def test_group_lifecycle(lab):
    name = unique("Users")
    created = aws(lab, "xray", "create-group", "--group-name", name, "--filter-expression", 'service("users-api")')
    arn = created["Group"]["GroupARN"]
    assert arn.startswith(f"arn:aws:xray:{REGION}:000000000000:group/{name}/")

    assert aws(lab, "xray", "get-group", "--group-arn", arn)["Group"]["GroupName"] == name
    assert name in {g["GroupName"] for g in aws(lab, "xray", "get-groups")["Groups"]}
    updated = aws(lab, "xray", "update-group", "--group-name", name, "--filter-expression", "fault")
    assert updated["Group"]["FilterExpression"] == "fault"

    aws(lab, "xray", "delete-group", "--group-name", name)
    with pytest.raises(CliError) as error:
        aws(lab, "xray", "get-group", "--group-name", name)
    assert error.value.code == "InvalidRequestException"


def test_the_exercises_group_command_works(lab):
    # The journal's command, with a name of its own (the lab's defaults already made Cruddur).
    name = unique("CruddurCopy")
    created = aws(lab, "xray", "create-group", "--group-name", name,
                  "--filter-expression", 'service("backend-flask") {fault OR error}')  # fmt: skip
    try:
        assert created["Group"]["FilterExpression"] == 'service("backend-flask") {fault OR error}'
    finally:
        aws(lab, "xray", "delete-group", "--group-name", name)


@pytest.mark.parametrize(
    "args",
    [
        ["create-group", "--group-name", "not a name!"],
        ["create-group", "--group-name", "Default"],
        ["create-group", "--group-name", "BadFilter", "--filter-expression", "service("],
        ["create-group", "--group-name", "Cruddur"],
        ["delete-group", "--group-name", "Default"],
        ["update-group", "--group-name", "NoSuchGroup", "--filter-expression", "fault"],
    ],
)
def test_bad_group_requests_get_invalid_request(lab, args):
    with pytest.raises(CliError) as error:
        aws(lab, "xray", *args)
    assert error.value.code == "InvalidRequestException"


# --- Sampling rules ---


def rule_file(tmp_path, **fields) -> str:
    rule = {
        "RuleName": unique("Rule"),
        "ResourceARN": "*",
        "Priority": 5000,
        "FixedRate": 0.5,
        "ReservoirSize": 2,
        "ServiceName": "users-api",
        "ServiceType": "*",
        "Host": "*",
        "HTTPMethod": "GET",
        "URLPath": "/users/*",
        "Version": 1,
        **fields,
    }
    path = tmp_path / f"{rule['RuleName']}.json"
    path.write_text(json.dumps({"SamplingRule": rule}))
    return f"file://{path}"


def test_sampling_rule_lifecycle(lab, tmp_path):
    record = aws(lab, "xray", "create-sampling-rule", "--cli-input-json", rule_file(tmp_path))["SamplingRuleRecord"]
    name = record["SamplingRule"]["RuleName"]
    assert record["SamplingRule"]["RuleARN"].endswith(f":sampling-rule/{name}")

    listed = {r["SamplingRule"]["RuleName"] for r in aws(lab, "xray", "get-sampling-rules")["SamplingRuleRecords"]}
    assert name in listed
    updated = aws(
        lab, "xray", "update-sampling-rule", "--sampling-rule-update", json.dumps({"RuleName": name, "FixedRate": 0.25})
    )["SamplingRuleRecord"]
    assert updated["SamplingRule"]["FixedRate"] == 0.25 and updated["SamplingRule"]["ReservoirSize"] == 2
    assert updated["ModifiedAt"] >= record["CreatedAt"]

    aws(lab, "xray", "delete-sampling-rule", "--rule-name", name)
    listed = {r["SamplingRule"]["RuleName"] for r in aws(lab, "xray", "get-sampling-rules")["SamplingRuleRecords"]}
    assert name not in listed


@pytest.mark.parametrize(
    "fields", [{"FixedRate": 1.5}, {"Version": 2}, {"RuleName": "Cruddur"}, {"URLPath": "x" * 129}]
)
def test_bad_sampling_rules_get_invalid_request(lab, tmp_path, fields):
    with pytest.raises(CliError) as error:
        aws(lab, "xray", "create-sampling-rule", "--cli-input-json", rule_file(tmp_path, **fields))
    assert error.value.code == "InvalidRequestException"


def test_default_rule_cannot_be_deleted(lab):
    with pytest.raises(CliError) as error:
        aws(lab, "xray", "delete-sampling-rule", "--rule-name", "Default")
    assert error.value.code == "InvalidRequestException"


# --- Traces of real requests ---


@pytest.fixture(scope="module")
def traffic(lab):
    """Three requests with both tracers on the same trace id: a cross-service success, a 404
    (an error for X-Ray), and a 503 from the error knob (a fault)."""
    started = time.time() - 1
    sent = {}
    for key, path in (("worf", "/api/activities/@worf"), ("nobody", "/api/activities/@nobody")):
        ids = new_ids()
        requests.get(f"{lab.backend}{path}", headers=ids["headers"], timeout=10)
        sent[key] = ids
    requests.put(
        f"{lab.backend}/admin/faults", json={"route": "/api/activities/notifications", "error_rate": 1}, timeout=5
    ).raise_for_status()
    try:
        ids = new_ids()
        assert (
            requests.get(f"{lab.backend}/api/activities/notifications", headers=ids["headers"], timeout=10).status_code
            == 503
        )
        sent["fault"] = ids
    finally:
        requests.delete(f"{lab.backend}/admin/faults", timeout=5)
    for ids in sent.values():  # both paths in: the SDK's segments and the collector's
        lab.xray_documents(ids["xray_trace_id"], {"backend-flask"})
    return started, {key: ids["xray_trace_id"] for key, ids in sent.items()}


def summaries(lab, started, expression=None):
    args = ["xray", "get-trace-summaries", "--start-time", str(int(started)), "--end-time", str(int(time.time()) + 60)]
    if expression:
        args += ["--filter-expression", expression]
    return {s["Id"]: s for s in aws(lab, *args)["TraceSummaries"]}


@pytest.mark.parametrize(
    "expression, expected",
    [
        ('service("users-api")', {"worf", "nobody"}),
        ('service("users-api") AND annotation.app_user_handle = "worf"', {"worf"}),
        ("annotation.app_user_found = false", {"nobody"}),
        ("http.status = 404", {"nobody"}),
        ("http.status >= 500", {"fault"}),
        ('http.url CONTAINS "/api/activities/@"', {"worf", "nobody"}),
        ("fault", {"fault"}),
        ("error", {"nobody"}),
        ("error OR fault", {"nobody", "fault"}),
        ("NOT (error OR fault)", {"worf"}),
        ("responsetime < 30", {"worf", "nobody", "fault"}),
        # The exercise's group (the lab's default Cruddur group) and its expression.
        ('group.name = "Cruddur"', {"nobody", "fault"}),
        ('service("backend-flask") {fault OR error}', {"nobody", "fault"}),
        ('service("users-api") {error}', {"nobody"}),
        ('edge("backend-flask", "users-api")', {"worf", "nobody"}),
        ('rootcause.fault.service {name = "backend-flask"}', {"fault"}),
        ('rootcause.error.service {name = "users-api"}', {"nobody"}),
    ],
)
def test_filter_expressions_select_the_right_requests(lab, traffic, expression, expected):
    started, ids = traffic
    found = summaries(lab, started, expression)
    assert {key for key, trace_id in ids.items() if trace_id in found} == expected


def test_summaries_are_filled_from_the_segments(lab, traffic):
    started, ids = traffic
    found = summaries(lab, started)
    worf, fault = found[ids["worf"]], found[ids["fault"]]

    assert worf["Http"]["HttpStatus"] == 200 and worf["Http"]["HttpURL"].endswith("/api/activities/@worf")
    assert {"backend-flask", "users-api"} <= {s["Name"] for s in worf["ServiceIds"]}
    assert worf["Annotations"]["app_user_handle"][0]["AnnotationValue"] == {"StringValue": "worf"}
    assert worf["ResponseTime"] > 0 and worf["EntryPoint"]["Name"] == "backend-flask"
    assert (worf["HasFault"], worf["HasError"]) == (False, False)
    assert fault["HasFault"] is True and fault["Http"]["HttpStatus"] == 503


def test_both_tracers_are_in_the_same_trace(lab, traffic):
    _, ids = traffic
    [trace] = aws(lab, "xray", "batch-get-traces", "--trace-ids", ids["worf"])["Traces"]
    sdks = {
        (json.loads(s["Document"])["name"], json.loads(s["Document"])["aws"]["xray"]["sdk"]) for s in trace["Segments"]
    }
    assert {("backend-flask", "X-Ray for Python"), ("users-api", "X-Ray for Python")} <= sdks
    assert {name for name, sdk in sdks if "opentelemetry" in sdk.lower()} == {"backend-flask", "users-api"}


def edges(graph: dict) -> set[tuple[str, str]]:
    names = {service["ReferenceId"]: service["Name"] for service in graph["Services"]}
    return {(service["Name"], names[edge["ReferenceId"]]) for service in graph["Services"] for edge in service["Edges"]}


def test_service_graph_has_both_services_and_the_edge_between_them(lab, traffic):
    started, _ = traffic
    graph = aws(
        lab, "xray", "get-service-graph", "--start-time", str(int(started)), "--end-time", str(int(time.time()) + 1)
    )

    assert {("client", "backend-flask"), ("backend-flask", "users-api")} <= edges(graph)
    services = {service["Name"]: service for service in graph["Services"]}
    to_users = next(
        e for e in services["backend-flask"]["Edges"] if e["ReferenceId"] == services["users-api"]["ReferenceId"]
    )
    assert to_users["SummaryStatistics"]["TotalCount"] >= 2
    assert services["backend-flask"]["SummaryStatistics"]["FaultStatistics"]["TotalCount"] >= 1
    assert services["backend-flask"]["ResponseTimeHistogram"]


def test_trace_graph_and_group_scoped_service_graph(lab, traffic):
    started, ids = traffic
    trace_graph = aws(lab, "xray", "get-trace-graph", "--trace-ids", ids["worf"])
    assert ("backend-flask", "users-api") in edges(trace_graph)

    group = unique("Faults")
    aws(lab, "xray", "create-group", "--group-name", group, "--filter-expression", "fault")
    scoped = aws(
        lab,
        "xray",
        "get-service-graph",
        "--group-name",
        group,
        "--start-time",
        str(int(started)),
        "--end-time",
        str(int(time.time()) + 1),
    )
    assert {s["Name"] for s in scoped["Services"]} == {"client", "backend-flask"}


@pytest.mark.parametrize(
    "args",
    [
        ["get-trace-summaries", "--start-time", "2000", "--end-time", "1000"],
        ["get-trace-summaries", "--start-time", "1000", "--end-time", "2000", "--filter-expression", "http.status ="],
        [
            "get-trace-summaries",
            "--start-time",
            "1000",
            "--end-time",
            "2000",
            "--filter-expression",
            'group.name = "Nope"',
        ],
        ["batch-get-traces", "--trace-ids", *[f"1-00000000-{i:024x}" for i in range(6)]],
    ],
)
def test_bad_queries_get_invalid_request(lab, args):
    with pytest.raises(CliError) as error:
        aws(lab, "xray", *args)
    assert error.value.code == "InvalidRequestException"


def test_invalid_segments_come_back_unprocessed(lab):
    good = {
        "name": "cli",
        "id": uuid.uuid4().hex[:16],
        "trace_id": new_ids()["xray_trace_id"],
        "start_time": time.time() - 1,
        "end_time": time.time(),
    }
    answer = aws(
        lab,
        "xray",
        "put-trace-segments",
        "--trace-segment-documents",
        json.dumps(good),
        "{not json",
        json.dumps({**good, "id": "short"}),
    )
    assert [entry["ErrorCode"] for entry in answer["UnprocessedTraceSegments"]] == ["InvalidJSON", "MissingId"]
    [trace] = aws(lab, "xray", "batch-get-traces", "--trace-ids", good["trace_id"])["Traces"]
    assert json.loads(trace["Segments"][0]["Document"])["name"] == "cli"


def put_tagged_traces(lab, tag: str, count: int) -> set[str]:
    """`count` one-segment traces annotated with `tag`; their trace ids."""
    now, documents = time.time(), []
    for _ in range(count):
        trace_id = new_ids()["xray_trace_id"]
        segment = {"name": "pager", "id": uuid.uuid4().hex[:16], "trace_id": trace_id, "start_time": now - 1,
                   "end_time": now, "annotations": {"tag": tag}}  # fmt: skip
        documents.append(json.dumps(segment))
    answer = aws(lab, "xray", "put-trace-segments", "--trace-segment-documents", *documents)
    assert answer["UnprocessedTraceSegments"] == []
    return {json.loads(d)["trace_id"] for d in documents}


def test_summary_pages_answer_the_query_as_it_was_asked(lab):
    tag, xray = unique("pages"), lab.aws("xray")
    asked = put_tagged_traces(lab, tag, 250)
    query = {
        "StartTime": time.time() - 300,
        "EndTime": time.time() + 60,
        "FilterExpression": f'annotation.tag = "{tag}"',
    }
    answer, seen = xray.get_trace_summaries(**query), []
    put_tagged_traces(lab, tag, 30)  # arrive between pages: not part of this query's answer
    elsewhere = lab.aws("xray", region="eu-west-1")
    with pytest.raises(elsewhere.exceptions.InvalidRequestException):  # a token is its region's own
        elsewhere.get_trace_summaries(**query, NextToken=answer["NextToken"])
    while True:
        seen += [summary["Id"] for summary in answer["TraceSummaries"]]
        assert answer["TracesProcessedCount"] >= 250
        if "NextToken" not in answer:
            break
        answer = xray.get_trace_summaries(**query, NextToken=answer["NextToken"])
    assert len(seen) == len(set(seen)) == 250 and set(seen) == asked
    with pytest.raises(xray.exceptions.InvalidRequestException, match="expired"):
        xray.get_trace_summaries(**query, NextToken="0123456789abcdef:100")


def test_state_is_per_account_and_region(lab):
    name = unique("Isolated")
    aws(lab, "xray", "create-group", "--group-name", name)

    elsewhere = [
        aws(lab, "xray", "get-groups", region="eu-west-1"),
        aws(lab, "xray", "get-groups", account="111111111111"),
    ]
    for groups in elsewhere:
        assert name not in {g["GroupName"] for g in groups["Groups"]}
    assert name in {g["GroupName"] for g in aws(lab, "xray", "get-groups")["Groups"]}


def test_make_xray_prints_the_request_as_a_tree(lab, traffic):
    _, ids = traffic
    result = subprocess.run(
        [sys.executable, "scripts/xray_tree.py", "--endpoint", lab.localstack, "--filter", "fault", "--limit", "5"],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert ids["fault"] in result.stdout
    assert "[X-Ray SDK]" in result.stdout and "[OpenTelemetry]" in result.stdout
    assert "FAULT" in result.stdout
