"""Filter expressions of the X-Ray provider (src/localstack/xray-provider), evaluated on a view of
one trace. The provider itself is tested against LocalStack in tests/integration."""

import pytest

from obslab_xray.filters import FilterError, TraceView, parse

TRACE = TraceView(
    services={"backend-flask", "users-api"},
    http={
        "status": 503,
        "url": "http://localhost:4567/api/activities/@worf",
        "method": "GET",
        "useragent": "curl/8",
        "clientip": "172.18.0.1",
    },
    response_time=0.42,
    duration=0.5,
    flags={"fault"},
    annotations={"app_user_handle": ["worf"], "app_result_length": [1, 3], "app_user_found": [True]},
)
GROUPS = {"Cruddur": 'service("backend-flask")', "Slow": "responsetime > 1", "All": None}


def resolve(kind, value):
    if kind == "name" and value in GROUPS:
        return GROUPS[value]
    raise FilterError(f"no group {value}")


@pytest.mark.parametrize(
    "expression, matches",
    [
        ('service("users-api")', True),
        ('service("payments")', False),
        ("http.status = 503", True),
        ("http.status >= 500 AND http.status < 600", True),
        ("http.status = 200", False),
        ('http.url CONTAINS "/api/activities/"', True),
        ('http.url BEGINSWITH "http://localhost"', True),
        ('http.url ENDSWITH "@garek"', False),
        ('http.method = "GET"', True),
        ("responsetime > 0.4", True),
        ("responsetime > 0.5", False),
        ("duration <= 0.5", True),
        ("fault", True),
        ("error", False),
        ("!error", True),
        ("NOT fault", False),
        ("fault = false", False),
        ("error != true", True),
        ("ok", False),
        ('annotation.app_user_handle = "worf"', True),
        ('annotation[app_user_handle] = "garek"', False),
        ("annotation.app_result_length > 2", True),
        ("annotation.app_result_length = 2", False),
        ("annotation.app_user_found = true", True),
        ("annotation.missing = 1", False),
        ('service("users-api") AND fault', True),
        ('service("payments") OR http.status = 503', True),
        ('(error OR fault) AND NOT service("payments")', True),
        ("error AND fault OR http.status = 503", True),
        ("error AND (fault OR http.status = 503)", False),
        ('group.name = "Cruddur"', True),
        ('group.name = "Slow"', False),
        ('group.name = "All"', True),
        ('SERVICE("users-api") and FAULT', True),
    ],
)
def test_expression(expression, matches):
    assert parse(expression, resolve)(TRACE) is matches


@pytest.mark.parametrize(
    "expression",
    [
        "",
        "   ",
        "service(",
        'service("x"',
        "http.status =",
        "http.status 200",
        'responsetime > "slow"',
        "nonsense = 1",
        "error = maybe",
        'group.name = "Nope"',
        "fault AND",
        "(fault",
        "fault)",
        "a.b = 1 = 2",
        "@ = 1",
        'group.id = "x"',
    ],
)
def test_malformed_expressions_are_refused(expression):
    with pytest.raises(FilterError):
        parse(expression, resolve)


def test_groups_need_a_resolver():
    with pytest.raises(FilterError):
        parse('group.name = "Cruddur"')
