"""Filter expressions of the X-Ray provider: the language of AWS X-Ray's documentation, parsed
and evaluated on stored traces built from segment documents (the provider's LocalStack side
is tested against LocalStack in tests/integration)."""

import contextlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from obslab_xray.filters import FilterError, parse
from obslab_xray.segments import Trace

# --- Stored traces with known faults, errors, services, edges and annotations ---

START = 1_700_000_000.0


def _trace(number: int, *documents: dict) -> Trace:
    trace_id = f"1-{int(START):08x}-{number:024x}"
    trace = Trace(trace_id)
    for document in documents:
        document = {"trace_id": trace_id, **document}
        trace.add(document, json.dumps(document))
    return trace


def _http(url: str, status: int, method: str = "GET") -> dict:
    return {"request": {"url": url, "method": method, "user_agent": "curl/8", "client_ip": "172.18.0.1"},
            "response": {"status": status}}  # fmt: skip


def _segment(name, id_, start, end, parent=None, **fields) -> dict:
    document = {"name": name, "id": id_, "start_time": START + start, "end_time": START + end, **fields}
    return document if parent is None else {**document, "parent_id": parent}


def _call(name, id_, start, end, **fields) -> dict:
    """A subsegment calling another service over HTTP."""
    return {"name": name, "id": id_, "start_time": START + start, "end_time": START + end, "namespace": "remote",
            **fields}  # fmt: skip


WORF_URL = "http://127.0.0.1:4567/api/activities/@worf"
TRACES = {
    # backend-flask -> users-api, all fine; annotations on both sides.
    "ok": _trace(
        1,
        _segment(
            "backend-flask",
            "a000000000000001",
            0,
            0.05,
            http=_http(WORF_URL, 200),
            user="andrewbrown",
            annotations={"app_result_length": 1},
            subsegments=[_call("users-api", "b000000000000001", 0.01, 0.03)],
        ),
        _segment(
            "users-api",
            "c000000000000001",
            0.012,
            0.028,
            parent="b000000000000001",
            http=_http("http://users-api:4568/users/@worf", 200),
            annotations={"app_user_handle": "worf", "app_user_found": True},
        ),
    ),  # fmt: skip
    # users-api faults (an injected fault, with its exception); backend-flask answers 503.
    "downstream fault": _trace(
        2,
        _segment(
            "backend-flask",
            "a000000000000002",
            0,
            0.06,
            http=_http(WORF_URL, 503),
            fault=True,
            subsegments=[_call("users-api", "b000000000000002", 0.01, 0.04, fault=True)],
        ),
        _segment(
            "users-api",
            "c000000000000002",
            0.012,
            0.038,
            parent="b000000000000002",
            fault=True,
            http=_http("http://users-api:4568/users/@worf", 503),
            subsegments=[
                {
                    "name": "users-directory-lookup",
                    "id": "d000000000000002",
                    "start_time": START + 0.02,
                    "end_time": START + 0.03,
                    "fault": True,
                    "cause": {"exceptions": [{"type": "InjectedFault", "message": "error rate 1.0"}]},
                }
            ],
        ),
    ),  # fmt: skip
    # A 404 in backend-flask itself (a client error); users-api answered fine.
    "error": _trace(
        3,
        _segment(
            "backend-flask",
            "a000000000000003",
            0,
            0.02,
            http=_http(WORF_URL.replace("worf", "nobody"), 404),
            error=True,
            subsegments=[_call("users-api", "b000000000000003", 0.005, 0.015)],
        ),
        _segment(
            "users-api",
            "c000000000000003",
            0.006,
            0.014,
            parent="b000000000000003",
            http=_http("http://users-api:4568/users/@nobody", 404),
            error=True,
        ),
    ),  # fmt: skip
    # A call to a service that sends no segments (an inferred node) that faults; the request is POST.
    "inferred fault": _trace(
        4,
        _segment(
            "backend-flask",
            "a000000000000004",
            0,
            0.3,
            http=_http("http://127.0.0.1:4567/api/messages", 502, "POST"),
            fault=True,
            subsegments=[_call("payments", "b000000000000004", 0.01, 0.29, fault=True)],
        ),
    ),  # fmt: skip
    # Slow: users-api takes 0.4 s of backend-flask's 0.5 s.
    "slow": _trace(
        5,
        _segment(
            "backend-flask",
            "a000000000000005",
            0,
            0.5,
            http=_http(WORF_URL, 200),
            subsegments=[_call("users-api", "b000000000000005", 0.05, 0.46)],
        ),
        _segment(
            "users-api",
            "c000000000000005",
            0.05,
            0.45,
            parent="b000000000000005",
            http=_http("http://users-api:4568/users/@worf", 200),
            subsegments=[
                {
                    "name": "users-directory-lookup",
                    "id": "d000000000000005",
                    "start_time": START + 0.06,
                    "end_time": START + 0.44,
                }
            ],
        ),
    ),  # fmt: skip
    # Still in progress: one segment has no end yet.
    "partial": _trace(
        6,
        {
            "name": "backend-flask",
            "id": "a000000000000006",
            "start_time": START,
            "in_progress": True,
            "http": _http(WORF_URL, 200),
        },
    ),  # fmt: skip
}
GROUPS = {
    "Cruddur": 'service("backend-flask") {fault OR error}',
    "Slow": "responsetime > 0.4",
    "All": None,
}
ARNS = {"arn:aws:xray:us-east-1:000000000000:group/Slow/ABC": "Slow"}


def resolve(kind, value):
    name = ARNS.get(value) if kind == "arn" else value
    if name in GROUPS:
        return GROUPS[name]
    raise FilterError(f"There is no group {value!r}")


def selected(expression: str) -> set[str]:
    predicate = parse(expression, resolve)
    return {name for name, trace in TRACES.items() if predicate(trace.view())}


ALL = set(TRACES)
FAULTS = {"downstream fault", "inferred fault"}


@pytest.mark.parametrize(
    "expression, expected",
    [
        # The exercise: its group, and the plain service filter.
        ('service("backend-flask") {fault OR error}', FAULTS | {"error"}),
        ('service("backend-flask")', ALL),
        ('group.name = "Cruddur"', FAULTS | {"error"}),
        # Boolean keywords, with their operators.
        ("fault", FAULTS),
        ("error", {"error"}),
        ("ok", {"ok", "slow", "partial"}),
        ("!ok", FAULTS | {"error"}),
        ("fault = false", ALL - FAULTS),
        ("error != true", ALL - {"error"}),
        ("partial", {"partial"}),
        ("inferred", {"inferred fault"}),
        ("throttle", set()),
        # Number keywords.
        ("responsetime > 0.4", {"slow"}),
        ("duration >= 0.04 AND duration <= 0.1", {"ok", "downstream fault"}),
        ("http.status = 503", {"downstream fault"}),
        ("http.status >= 400 AND http.status < 500", {"error"}),
        # String keywords.
        ('http.url CONTAINS "/api/activities/@"', ALL - {"inferred fault"}),
        ('http.url ENDSWITH "@nobody"', {"error"}),
        ('http.url BEGINSWITH "http://127.0.0.1:4567/"', ALL),
        ('http.method = "POST"', {"inferred fault"}),
        ('http.useragent = "curl/8"', ALL),
        ('http.clientip != "10.0.0.1"', ALL),
        ('user = "andrewbrown"', {"ok"}),
        # Annotations: by value, by presence, both spellings.
        ('annotation.app_user_handle = "worf"', {"ok"}),
        ('annotation[app_user_handle] = "worf"', {"ok"}),
        ("annotation.app_user_found = true", {"ok"}),
        ("annotation.app_result_length > 0", {"ok"}),
        ("annotation.app_user_handle", {"ok"}),
        ("annotation.missing = 1", set()),
        # service() with brace filters, id(), and service() for any service.
        ('service("users-api") {fault}', {"downstream fault"}),
        ('service("users-api") {responsetime > 0.3}', {"slow"}),
        ('service("payments")', {"inferred fault"}),
        ('service("payments") {inferred AND fault}', {"inferred fault"}),
        ("service() {fault}", FAULTS),
        ("service() {root AND http.status = 404}", {"error"}),
        ('service(id(name: "users-api", type: "service")) {error}', {"error"}),
        ('service(id(type: "remote"))', {"inferred fault"}),
        ('!service("users-api")', {"inferred fault", "partial"}),
        # edge() between two services, with brace filters and id().
        ('edge("backend-flask", "users-api")', {"ok", "downstream fault", "error", "slow"}),
        ('edge("backend-flask", "users-api") {fault}', {"downstream fault"}),
        ('edge("backend-flask", "payments") {fault = true}', {"inferred fault"}),
        ('edge(id(name: "client", type: "client"), "backend-flask") {http.status = 404}', {"error"}),
        ('edge("users-api", "backend-flask")', set()),
        # Root causes.
        ('rootcause.fault.service {name = "users-api"}', {"downstream fault"}),
        ('rootcause.fault.service {name = "payments" AND remote}', {"inferred fault"}),
        ('rootcause.fault.entity {name = "users-directory-lookup"}', {"downstream fault"}),
        ('rootcause.fault.exception {name = "InjectedFault" AND message CONTAINS "rate"}', {"downstream fault"}),
        ("rootcause.fault.service", FAULTS),
        ('rootcause.error.service {name = "users-api" AND first}', {"error"}),
        ('rootcause.error.service {name = "backend-flask"}', set()),
        ('rootcause.responsetime.service {name = "users-api" AND coverage > 0.7}', {"slow"}),
        ('rootcause.responsetime.entity {name = "users-directory-lookup" AND coverage > 0.7}', {"slow"}),
        ("rootcause.fault.service {index = 0}", FAULTS),
        ('rootcause.json = #[{"Services": [{"Name": "users-api"}]}]', {"downstream fault", "error", "slow"}),
        (
            'rootcause.json = #[{"Services": [{"Name": "users-api", "EntityPath": [{"Name": "users-api"}, '
            '{"Name": "users-directory-lookup"}]}]}]',
            {"downstream fault", "slow"},
        ),
        # Groups by name and ARN; a group that takes every trace.
        ('group.name = "Slow"', {"slow"}),
        ('group.arn = "arn:aws:xray:us-east-1:000000000000:group/Slow/ABC"', {"slow"}),
        ('group.name = "All"', ALL),
        # Combinations: precedence (AND before OR), parentheses, NOT, side by side.
        ("error OR fault AND http.status = 502", {"error", "inferred fault"}),
        ("(error OR fault) AND http.status = 502", {"inferred fault"}),
        ('NOT service("users-api") AND NOT partial', {"inferred fault"}),
        ("ok !partial duration < 0.1", {"ok"}),
        ('SERVICE("users-api") and FAULT', {"downstream fault"}),
    ],
)
def test_expressions_select_the_traces_they_describe(expression, expected):
    assert selected(expression) == expected


# The examples of AWS X-Ray's documentation ("Using filter expressions"), which must all be
# accepted, whatever they select here.
DOCUMENTED_EXAMPLES = [
    "responsetime > 5",
    "duration >= 5 AND duration <= 8",
    "!partial",
    "throttle",
    'http.url CONTAINS "/api/game/"',
    'service("api.example.com") { fault = true OR responsetime > 2.5 } AND annotation.account = "12345"',
    'edge("api.example.com", "backend.example.com") { fault = true }',
    'http.url BEGINSWITH "http://api.example.com/" AND http.url CONTAINS "/v2/" AND !service("api.example.com")',
    "ok !partial duration <3",
    'service("api.example.com") { fault }',
    "service() { fault }",
    'edge("api.example.com", "backend.example.com") { error }',
    'service(id(name: "api.example.com", type: "AWS::EC2::Instance")) { fault }',
    'service(id(name: "api.example.com")) { error }',
    'edge(id(name: "api.example.com"), id(name: "backend.example.com", type: "AWS::DynamoDB::Table"))',
    'annotation[game_id] = "19M5-S8EY-Q7GS"',
    'user = "alice"',
    'rootcause.fault.service { name = "GetWeatherData" AND type = "AWS::Lambda::Function" }',
    'rootcause.fault.entity { name = "get_temperature" AND remote }',
    'rootcause.fault.exception { name = "ConnectionError" AND message CONTAINS "timed out" }',
    'rootcause.error.service { account.id = "123456789012" }',
    'rootcause.responsetime.service { name = "GetTemperature" AND coverage > 0.5 }',
    'rootcause.responsetime.entity { name = "get_temperature" AND index = 0 }',
    'rootcause.json = #[{ "Services": [ { "Name": "GetWeatherData", "EntityPath": [{ "Name": "GetWeatherData" }, '
    '{ "Name": "get_temperature" } ] }, '
    '{ "Name": "GetTemperature", "EntityPath": [ { "Name": "GetTemperature" } ] } ] }]',
    'availabilityzone = "us-east-1a" AND instance.id BEGINSWITH "i-"',
    'resource.arn = "arn:aws:lambda:us-east-1:123456789012:function:GetWeatherData"',
    "inferred",
    'group.name = "Slow"',
]


@pytest.mark.parametrize("expression", DOCUMENTED_EXAMPLES)
def test_every_documented_example_is_accepted(expression):
    parse(expression, resolve)(TRACES["ok"].view())  # parses, and evaluates without an exception


@pytest.mark.parametrize(
    "expression, position",
    [
        ("", None),
        ("   ", None),
        ("service(", 8),
        ('service("x"', 11),
        ('service("backend-flask") {fault OR error', 40),
        ('service("x") {}', 14),
        ("http.status =", 13),
        ("http.status 200", 12),
        ('responsetime > "slow"', 15),
        ('http.url > "a"', 9),
        ("http.status CONTAINS 5", 12),
        ("nonsense = 1", 0),
        ("error = maybe", 8),
        ('group.name = "Nope"', None),
        ("fault AND", 9),
        ("(fault", 6),
        ("fault)", 5),
        ("@ = 1", 0),
        ('group.id = "x"', 0),
        ('edge("a")', 8),
        ('service(id(colour: "red"))', 11),
        ("rootcause.json = #[{", 18),
        ("rootcause.json = 5", 17),
        ('rootcause.fault.nothing {name = "x"}', 0),
        ("annotation[] = 1", 11),
    ],
)
def test_malformed_expressions_are_refused_with_the_position(expression, position):
    with pytest.raises(FilterError) as refused:
        parse(expression, resolve)
    if position is not None:
        assert f"position {position}" in str(refused.value)


def test_groups_need_a_resolver():
    with pytest.raises(FilterError, match="Groups cannot be used here"):
        parse('group.name = "Cruddur"')


def test_deep_nesting_is_refused_not_a_recursion_error():
    for deep in ("(" * 5000 + "fault" + ")" * 5000, "NOT " * 5000 + "fault", "!" * 5000 + "fault"):
        with pytest.raises(FilterError, match="nests deeper"):
            parse(deep)


def test_a_group_that_names_itself_is_refused():
    def itself(kind, value):
        return 'group.name = "Loop"'

    with pytest.raises(FilterError, match="nest too deeply"):
        parse('group.name = "Loop"', itself)


# --- Properties: no input makes the parser loop, recurse without bound or fail otherwise ---

WORDS = [
    "service",
    "edge",
    "id",
    "name",
    "type",
    "fault",
    "error",
    "ok",
    "AND",
    "OR",
    "NOT",
    "annotation",
    "rootcause.fault.service",
    "rootcause.json",
    "group.name",
    "responsetime",
    "http.url",
    "CONTAINS",
    "true",
]
PIECES = st.one_of(
    st.sampled_from(WORDS),
    st.sampled_from(["(", ")", "{", "}", "[", "]", ",", ":", "!", "=", "!=", "<", ">=", "#", "#[", '"x"', "1", "2.5"]),
    st.text(max_size=4),
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(PIECES, max_size=30).map(" ".join))
def test_any_text_is_parsed_or_refused_with_a_filter_error(text):
    try:
        predicate = parse(text, resolve)
    except FilterError as error:
        assert str(error)
        return
    for trace in TRACES.values():
        assert predicate(trace.view()) in (True, False)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_random_characters_never_escape_as_another_exception(text):
    # Any exception other than FilterError fails the test (the provider would answer 500).
    with contextlib.suppress(FilterError):
        assert callable(parse(text, resolve))
