"""One request to backend-flask, followed through both tracing paths of the real stack:
OpenTelemetry -> collector -> Jaeger, and X-Ray SDK -> daemon -> LocalStack's X-Ray API."""

import json
import time

import pytest
import requests
from botocore.exceptions import ClientError

from .lab import eventually, new_ids

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def home_request(lab):
    ids = new_ids()
    response = requests.get(f"{lab.backend}/api/activities/home", headers=ids["headers"], timeout=10)
    assert response.status_code == 200
    assert len(response.json()) == 3
    return ids


def tags(span: dict) -> dict:
    return {tag["key"]: tag for tag in span["tags"]}


def test_trace_in_jaeger_has_server_span_and_custom_span(lab, home_request):
    def complete_trace():
        response = requests.get(f"{lab.jaeger}/api/traces/{home_request['otel_trace_id']}", timeout=5)
        if response.status_code == 404:
            return None
        response.raise_for_status()
        [trace] = response.json()["data"]
        names = {span["operationName"] for span in trace["spans"]}
        return trace if {"GET /api/activities/home", "home-activities-mock-data"} <= names else None

    trace = eventually(complete_trace, "the request's trace in Jaeger")

    spans = {span["operationName"]: span for span in trace["spans"]}
    server, custom = spans["GET /api/activities/home"], spans["home-activities-mock-data"]
    assert trace["processes"][server["processID"]]["serviceName"] == "backend-flask"
    assert tags(server)["span.kind"]["value"] == "server"
    # The server span continues the caller's trace context (the traceparent header) ...
    assert {"refType": "CHILD_OF", "traceID": home_request["otel_trace_id"],
            "spanID": home_request["parent_span_id"]} in server["references"]
    # ... and the custom span is its child.
    assert custom["references"][0]["spanID"] == server["spanID"]
    result_length = tags(custom)["app.result_length"]
    assert result_length["type"] == "int64" and result_length["value"] == 3
    assert tags(custom)["app.now"]["value"]


def test_segment_in_localstack_xray_from_backend_flask(lab, home_request):
    xray = lab.xray()
    trace_id = home_request["xray_trace_id"]

    def stored_trace():
        [trace] = xray.batch_get_traces(TraceIds=[trace_id])["Traces"] or [None]
        return trace if trace and trace["Segments"] else None

    trace = eventually(stored_trace, "the request's segment in LocalStack's X-Ray API")

    documents = [json.loads(segment["Document"]) for segment in trace["Segments"]]
    [segment] = [doc for doc in documents if doc["name"] == "backend-flask"]
    assert segment["trace_id"] == trace_id
    assert segment["http"]["request"]["url"].endswith("/api/activities/home")
    assert segment["http"]["response"]["status"] == 200
    [work] = [sub for sub in segment["subsegments"] if sub["name"] == "home-activities-mock-data"]
    assert work["annotations"]["app_result_length"] == 3


def test_trace_summaries_list_the_request(lab, home_request):
    xray = lab.xray()

    def summary_ids():
        now = time.time()
        summaries = xray.get_trace_summaries(StartTime=now - 600, EndTime=now + 60)["TraceSummaries"]
        ids = {summary["Id"] for summary in summaries}
        return ids if home_request["xray_trace_id"] in ids else None

    eventually(summary_ids, "the request in GetTraceSummaries")


def test_xray_api_is_served_by_our_plugin(lab):
    lab.xray().get_trace_summaries(StartTime=time.time() - 60, EndTime=time.time())
    plugins = requests.get(f"{lab.localstack}/_localstack/plugins", timeout=5).json()
    providers = {p["name"]: p for p in plugins["localstack.aws.provider"]}
    assert providers["xray:default"]["is_loaded"]
    health = requests.get(f"{lab.localstack}/_localstack/health", timeout=5).json()
    assert health["services"]["xray"] == "running"


def test_xray_operation_without_an_implementation_answers_with_an_aws_error(lab):
    # The dispatch table covers every operation of the X-Ray API. One with no implementation
    # yet must come back as a clean "not implemented" error, not as an internal failure.
    with pytest.raises(ClientError) as error:
        lab.xray().get_groups()
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
