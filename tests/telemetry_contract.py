"""What each endpoint of the lab must produce in telemetry, kept as data (the model: the
OpenTelemetry Demo's test/telemetry/services.py). Tests are generated from it: the unit tests
check the spans and X-Ray annotations the code records, the integration tests what reaches
Jaeger and CloudWatch Logs, and tests/unit/test_facts_agree.py that every attribute the code
sets is searchable in X-Ray (the collector's indexed_attributes).

An attribute's expected value is either a value or a type (any value of that type).
"""

from dataclasses import dataclass

from obslab_common import seed

SEED = seed.load()
GAREK_ACTIVITY = next(a["uuid"] for a in SEED["home_activities"] if a["handle"] == "Garek")
HANDLE = "worf"

# Attributes the fault knobs put on a request's server span (obslab_common.faults).
FAULT_ATTRIBUTES = ("app.fault.delay_ms", "app.fault.injected_error")

# Every request line in CloudWatch Logs (obslab_common.telemetry); xray_trace_id only when sampled.
LOG_FIELDS = {
    "service",
    "method",
    "path",
    "route",
    "status",
    "duration_ms",
    "otel_trace_id",
    "otel_span_id",
    "xray_sampled",
}


@dataclass(frozen=True)
class Endpoint:
    id: str
    method: str
    path: str
    route: str  # the Flask rule: http.route on the server span, "route" in the log line
    # service -> custom span name -> attribute -> value or type
    spans: dict[str, dict[str, dict[str, object]]]
    body: dict | None = None
    status: int = 200

    @property
    def server_operation(self) -> str:
        """backend-flask's server span, as OpenTelemetry's Flask instrumentation names it."""
        return f"{self.method} {self.route}"


def _users_lookup(found: bool = True) -> dict:
    return {"users-directory-lookup": {"app.user.handle": HANDLE, "app.user.found": found}}


ENDPOINTS = [
    Endpoint(
        "home",
        "GET",
        "/api/activities/home",
        "/api/activities/home",
        {"backend-flask": {"home-activities-mock-data": {"app.now": str, "app.result_length": int}}},
    ),
    Endpoint(
        "notifications",
        "GET",
        "/api/activities/notifications",
        "/api/activities/notifications",
        {"backend-flask": {"notifications-activities": {"app.result_length": 1}}},
    ),
    Endpoint(
        "user activities",
        "GET",
        f"/api/activities/@{HANDLE}",
        "/api/activities/@<handle>",
        {
            "backend-flask": {"user-activities": {"app.user.handle": HANDLE, "app.result_length": int}},
            "users-api": _users_lookup(),
        },
    ),
    Endpoint(
        "search",
        "GET",
        "/api/activities/search?term=cloud",
        "/api/activities/search",
        {"backend-flask": {"search-activities": {"app.search.term_length": 5, "app.result_length": int}}},
    ),
    Endpoint(
        "show",
        "GET",
        f"/api/activities/{GAREK_ACTIVITY}",
        "/api/activities/<uuid:activity_uuid>",
        {"backend-flask": {"show-activity": {"app.activity.uuid": GAREK_ACTIVITY, "app.activity.found": True}}},
    ),
    Endpoint(
        "create",
        "POST",
        "/api/activities",
        "/api/activities",
        {
            "backend-flask": {
                "create-activity": {"app.activity.ttl": "7-days", "app.message_length": 5, "app.activity.uuid": str}
            }
        },
        body={"message": "hello", "ttl": "7-days"},
    ),
    Endpoint(
        "reply",
        "POST",
        f"/api/activities/{GAREK_ACTIVITY}/reply",
        "/api/activities/<uuid:activity_uuid>/reply",
        {
            "backend-flask": {
                "create-reply": {
                    "app.activity.uuid": GAREK_ACTIVITY,
                    "app.message_length": 2,
                    "app.activity.found": True,
                }
            }
        },
        body={"message": "hi"},
    ),
    Endpoint(
        "message groups",
        "GET",
        "/api/message_groups",
        "/api/message_groups",
        {"backend-flask": {"message-groups": {"app.result_length": int}}},
    ),
    Endpoint(
        "conversation",
        "GET",
        f"/api/messages/@{HANDLE}",
        "/api/messages/@<handle>",
        {
            "backend-flask": {"messages-with-user": {"app.user.handle": HANDLE, "app.result_length": int}},
            "users-api": _users_lookup(),
        },
    ),
    Endpoint(
        "send",
        "POST",
        "/api/messages",
        "/api/messages",
        {
            "backend-flask": {"create-message": {"app.user.handle": HANDLE, "app.message_length": 4}},
            "users-api": _users_lookup(),
        },
        body={"user_receiver_handle": HANDLE, "message": "ping"},
    ),
]


# The services' own metrics (OpenTelemetry instrument name -> the service that records it and
# the attribute it is broken down by), and what Prometheus must hold for each service after
# traffic: the collector's span metrics, the instrumentation's HTTP histograms, ours.
APP_METRICS = {
    "cruddur.activities.created": ("backend-flask", "app.activity.ttl"),
    "users.lookups": ("users-api", "app.user.found"),
}
PROMETHEUS_SERIES = {
    "backend-flask": [
        "traces_span_metrics_calls_total",
        "traces_span_metrics_duration_milliseconds_bucket",
        "http_server_request_duration_seconds_bucket",
        "http_client_request_duration_seconds_bucket",
        "cruddur_activities_created_total",
    ],
    "users-api": [
        "traces_span_metrics_calls_total",
        "traces_span_metrics_duration_milliseconds_bucket",
        "http_server_request_duration_seconds_bucket",
        "users_lookups_total",
    ],
}


def attributes_in_contract() -> set[str]:
    return {key for e in ENDPOINTS for spans in e.spans.values() for attrs in spans.values() for key in attrs}


def matches(expected: object, actual: object) -> bool:
    """A value matches a type (bool is not an int here) or an equal value."""
    if isinstance(expected, type):
        return isinstance(actual, expected) and not (expected is int and isinstance(actual, bool))
    return actual == expected


def mismatches(expected: dict[str, object], actual: dict[str, object]) -> dict[str, tuple]:
    """Attribute -> (expected, actual) for each that is missing or differs."""
    return {
        key: (want, actual.get(key, "<missing>"))
        for key, want in expected.items()
        if key not in actual or not matches(want, actual[key])
    }


def xray_annotation(key: str) -> str:
    """The X-Ray SDK path's annotation key for a span attribute (no dots allowed)."""
    return key.replace(".", "_")
