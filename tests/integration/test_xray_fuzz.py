"""Property-based tests of the X-Ray plugin inside the real LocalStack: random segment
documents, filter expressions and sampling requests, sent as raw signed HTTP requests (boto3
would refuse the malformed ones before sending), never get a 5xx; a refusal is always X-Ray's
error shape: 400 with {"__type": "InvalidRequestException", "Message": ...}."""

import json

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .lab import REGION

pytestmark = pytest.mark.integration

# Each property sends this many requests; together under a minute.
EXAMPLES = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
HEX = "0123456789abcdef"
TRACE_IDS = st.builds(
    lambda time, random: f"1-{time}-{random}",
    st.text(HEX, min_size=8, max_size=8),
    st.text(HEX, min_size=24, max_size=24),
)
# Documents that look like segments, with any field missing or of any type: the checks' edge cases.
SEGMENTS = st.fixed_dictionaries(
    {},
    optional={
        "name": st.text(max_size=210) | JSON_VALUES,
        "id": st.text(HEX, min_size=16, max_size=16) | JSON_VALUES,
        "trace_id": TRACE_IDS | JSON_VALUES,
        "parent_id": st.text(HEX, min_size=16, max_size=16) | JSON_VALUES,
        "start_time": st.floats(min_value=0, max_value=2e9) | JSON_VALUES,
        "end_time": st.floats(min_value=0, max_value=2e9) | JSON_VALUES,
        "in_progress": st.booleans() | JSON_VALUES,
        "type": st.sampled_from(["subsegment", "segment"]) | JSON_VALUES,
        "http": JSON_VALUES,
        "annotations": st.dictionaries(st.text(max_size=30), JSON_VALUES, max_size=5) | JSON_VALUES,
        "metadata": JSON_VALUES,
        "subsegments": st.lists(JSON_VALUES, max_size=3) | JSON_VALUES,
        "error": JSON_VALUES,
        "fault": JSON_VALUES,
        "cause": JSON_VALUES,
    },
)
DOCUMENTS = SEGMENTS.map(json.dumps) | st.text(max_size=100) | JSON_VALUES.map(json.dumps)
# Filter expressions made of the language's own words, values and punctuation, in any order.
WORDS = st.sampled_from(
    [
        "service(",
        ")",
        "id(",
        "name:",
        "type:",
        '"backend-flask"',
        '"AWS::EC2::Instance"',
        "edge(",
        ",",
        "{",
        "}",
        "ok",
        "error",
        "fault",
        "throttle",
        "partial",
        "responsetime",
        "duration",
        "http.status",
        "http.url",
        "http.method",
        "user",
        "annotation.app_user_handle",
        "annotation[app.now]",
        "rootcause.fault.entity",
        "name",
        "message",
        "remote",
        "root",
        "first",
        "group.name",
        "group.arn",
        "=",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
        "CONTAINS",
        "BEGINSWITH",
        "ENDSWITH",
        "AND",
        "OR",
        "NOT",
        "!",
        "&&",
        "||",
        "1",
        "0.5",
        "-3",
        "true",
        "false",
        '"x"',
        "ErrorRootCause",
        "FaultRootCause",
        "ResponseTimeRootCause",
    ]
)
EXPRESSIONS = st.lists(WORDS | st.text(max_size=4), max_size=25).map(" ".join) | st.text(max_size=60)
RULES = st.fixed_dictionaries(
    {},
    optional={
        key: strategy | JSON_VALUES
        for key, strategy in {
            "RuleName": st.text(max_size=40),
            "ResourceARN": st.just("*"),
            "Priority": st.integers(-5, 10005),
            "FixedRate": st.floats(-1, 2),
            "ReservoirSize": st.integers(-5, 100),
            "ServiceName": st.text(max_size=70),
            "ServiceType": st.just("*"),
            "Host": st.text(max_size=70),
            "HTTPMethod": st.text(max_size=15),
            "URLPath": st.text(max_size=130),
            "Version": st.integers(0, 2),
            "Attributes": st.dictionaries(st.text(max_size=40), st.text(max_size=40), max_size=3),
        }.items()
    },
)
STATISTICS = st.fixed_dictionaries(
    {},
    optional={
        "RuleName": st.sampled_from(["Default", "Cruddur", "nope"]) | JSON_VALUES,
        "ClientID": st.text(HEX, min_size=24, max_size=24) | JSON_VALUES,
        "Timestamp": st.floats(0, 2e9) | JSON_VALUES,
        "RequestCount": st.integers(-3, 1000) | JSON_VALUES,
        "SampledCount": st.integers(-3, 1000) | JSON_VALUES,
        "BorrowCount": st.integers(-3, 1000) | JSON_VALUES,
    },
)


def xray_call(lab, path: str, body) -> requests.Response:
    """A SigV4-signed POST of any body (bytes, or a JSON value) to the X-Ray API."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = AWSRequest(method="POST", url=f"{lab.localstack}{path}", data=data,
                         headers={"Content-Type": "application/json"})  # fmt: skip
    SigV4Auth(Credentials("test", "test"), "xray", REGION).add_auth(request)
    return requests.post(request.url, data=data, headers=dict(request.headers), timeout=30)


def assert_answered_as_xray(response: requests.Response) -> dict:
    assert response.status_code < 500, response.text
    body = response.json()
    if response.status_code >= 400:
        assert response.status_code == 400, response.text
        assert body["__type"] == "InvalidRequestException" and body["Message"], body
    return body


@EXAMPLES
@given(documents=st.lists(DOCUMENTS, max_size=5))
def test_random_segment_documents(lab, documents):
    body = assert_answered_as_xray(xray_call(lab, "/TraceSegments", {"TraceSegmentDocuments": documents}))
    if "UnprocessedTraceSegments" in body:
        for unprocessed in body["UnprocessedTraceSegments"]:
            assert unprocessed["ErrorCode"] and unprocessed["Message"]


@EXAMPLES
@given(expression=EXPRESSIONS, by_event=st.booleans())
def test_random_filter_expressions(lab, expression, by_event):
    request = {"StartTime": 1.7e9, "EndTime": 2e9, "FilterExpression": expression}
    if by_event:
        request["TimeRangeType"] = "Event"
    assert_answered_as_xray(xray_call(lab, "/TraceSummaries", request))
    graph = {"StartTime": 1.7e9, "EndTime": 2e9, "GroupName": expression[:40]}
    assert_answered_as_xray(xray_call(lab, "/ServiceGraph", graph))


@EXAMPLES
@given(rule=RULES)
def test_random_sampling_rules(lab, rule):
    response = xray_call(lab, "/CreateSamplingRule", {"SamplingRule": rule})
    body = assert_answered_as_xray(response)
    if response.status_code == 200:  # the rule was valid: clean up, so the lab's sampling stays as it was
        name = body["SamplingRuleRecord"]["SamplingRule"]["RuleName"]
        assert_answered_as_xray(xray_call(lab, "/DeleteSamplingRule", {"RuleName": name}))


@EXAMPLES
@given(documents=st.lists(STATISTICS, max_size=4) | JSON_VALUES)
def test_random_sampling_statistics(lab, documents):
    assert_answered_as_xray(xray_call(lab, "/SamplingTargets", {"SamplingStatisticsDocuments": documents}))


@EXAMPLES
@given(body=st.binary(max_size=200) | JSON_VALUES.map(lambda v: json.dumps(v).encode()))
def test_random_bodies(lab, body):
    for path in ("/TraceSegments", "/TraceSummaries", "/CreateSamplingRule", "/SamplingTargets"):
        assert_answered_as_xray(xray_call(lab, path, body))
