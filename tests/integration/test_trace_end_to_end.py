"""Requests followed through both tracing paths of the real stack: OpenTelemetry -> collector ->
Jaeger, and X-Ray SDK -> daemon -> LocalStack's X-Ray API, within a service and across the HTTP
hop from backend-flask to users-api."""

import time

import pytest
import requests
from botocore.exceptions import ClientError

from .lab import eventually, new_ids, span_tags

pytestmark = pytest.mark.integration


def get(lab, path: str) -> dict:
    ids = new_ids()
    response = requests.get(f"{lab.backend}{path}", headers=ids["headers"], timeout=10)
    assert response.status_code == 200, response.text
    return ids


@pytest.fixture(scope="module")
def home_request(lab):
    return get(lab, "/api/activities/home")


@pytest.fixture(scope="module")
def cross_service_request(lab):
    return get(lab, "/api/activities/@worf")


def by_operation(trace: dict) -> dict[str, dict]:
    return {span["operationName"]: span for span in trace["spans"]}


def service_of(trace: dict, span: dict) -> str:
    return trace["processes"][span["processID"]]["serviceName"]


def test_home_trace_in_jaeger_has_server_span_and_custom_span(lab, home_request):
    trace = lab.jaeger_trace(home_request["otel_trace_id"], {"GET /api/activities/home", "home-activities-mock-data"})

    spans = by_operation(trace)
    server, custom = spans["GET /api/activities/home"], spans["home-activities-mock-data"]
    assert service_of(trace, server) == "backend-flask"
    assert span_tags(server)["span.kind"] == "server"
    # The server span continues the caller's trace context (the traceparent header) ...
    assert {
        "refType": "CHILD_OF",
        "traceID": home_request["otel_trace_id"],
        "spanID": home_request["parent_span_id"],
    } in server["references"]
    # ... and the custom span is its child, with its attributes.
    assert custom["references"][0]["spanID"] == server["spanID"]
    result_length = next(tag for tag in custom["tags"] if tag["key"] == "app.result_length")
    assert result_length["type"] == "int64" and result_length["value"] >= 3
    assert span_tags(custom)["app.now"]


def test_cross_service_trace_links_both_processes_in_jaeger(lab, cross_service_request):
    trace = lab.jaeger_trace(
        cross_service_request["otel_trace_id"],
        {"GET /api/activities/@<handle>", "GET", "GET /users/@<handle>", "users-directory-lookup", "user-activities"},
    )

    spans = by_operation(trace)
    backend_server = spans["GET /api/activities/@<handle>"]
    client, users_server = spans["GET"], spans["GET /users/@<handle>"]
    lookup = spans["users-directory-lookup"]
    assert [service_of(trace, s) for s in (backend_server, client, users_server, lookup)] == [
        "backend-flask",
        "backend-flask",
        "users-api",
        "users-api",
    ]
    assert span_tags(client)["span.kind"] == "client"
    # The HTTP hop: backend server -> backend client -> users-api server -> lookup.
    assert client["references"][0]["spanID"] == backend_server["spanID"]
    assert users_server["references"][0]["spanID"] == client["spanID"]
    assert lookup["references"][0]["spanID"] == users_server["spanID"]
    assert span_tags(lookup)["app.user.handle"] == "worf"
    assert span_tags(lookup)["app.user.found"] is True
    assert span_tags(spans["user-activities"])["app.result_length"] == 1


def test_home_segment_in_localstack_xray(lab, home_request):
    documents = lab.xray_documents(home_request["xray_trace_id"], {"backend-flask"})

    segment = documents["backend-flask"]
    assert segment["trace_id"] == home_request["xray_trace_id"]
    assert segment["http"]["request"]["url"].endswith("/api/activities/home")
    assert segment["http"]["response"]["status"] == 200
    [work] = [sub for sub in segment["subsegments"] if sub["name"] == "home-activities-mock-data"]
    assert work["annotations"]["app_result_length"] >= 3


def test_cross_service_segments_in_localstack_xray(lab, cross_service_request):
    documents = lab.xray_documents(cross_service_request["xray_trace_id"], {"backend-flask", "users-api"})

    backend, users = documents["backend-flask"], documents["users-api"]
    subsegments = {sub["name"]: sub for sub in backend["subsegments"]}
    # The downstream call is recorded as a remote subsegment, and users-api's segment hangs off it.
    call = subsegments["users-api"]
    assert call["namespace"] == "remote"
    assert call["http"]["response"]["status"] == 200
    assert users["parent_id"] == call["id"]
    assert subsegments["user-activities"]["annotations"] == {"app_user_handle": "worf", "app_result_length": 1}
    [lookup] = [sub for sub in users["subsegments"] if sub["name"] == "users-directory-lookup"]
    assert lookup["annotations"] == {"app_user_handle": "worf", "app_user_found": True}
    # Metadata: data worth seeing, not searching.
    assert lookup["metadata"]["cruddur"]["profile"]["display_name"] == "Worf"


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
    # The dispatch table covers every operation of the X-Ray API. One the lab does not
    # implement must come back as a clean "not implemented" error, not as an internal failure.
    with pytest.raises(ClientError) as error:
        lab.xray().get_encryption_config()
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
