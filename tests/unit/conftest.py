"""Unit tests of the services' own code: no Docker, no network.

Spans go to an in-memory exporter and X-Ray segments to a capturing emitter, so the tests can
read what the code recorded. backend-flask gets an in-process users directory instead of the
users-api client (the contract: backend_flask.users_directory). That the real stack receives
all this is tests/integration's job.
"""

import json

import flask.templating
import pytest
from aws_xray_sdk.core import xray_recorder
from aws_xray_sdk.core.sampling.local.sampler import LocalSampler
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import backend_flask
import users_api
from obslab_common import seed
from obslab_common.telemetry import XRAY_SAMPLING_RULES

_exporter = InMemorySpanExporter()
_provider = TracerProvider()
_provider.add_span_processor(SimpleSpanProcessor(_exporter))
# The global provider can be set once per process; every test shares it and clears the exporter.
trace.set_tracer_provider(_provider)
_metric_reader = InMemoryMetricReader()
metrics.set_meter_provider(MeterProvider(metric_readers=[_metric_reader]))


class FakeUsersDirectory:
    """An in-process UsersDirectory: the seed's users, or those given; records the handles asked."""

    def __init__(self, users: list[dict] | None = None):
        self.users = {user["handle"]: user for user in (users if users is not None else seed.load()["users"])}
        self.asked: list[str] = []

    def profile(self, handle: str) -> dict | None:
        self.asked.append(handle)
        user = self.users.get(handle.lower())
        return dict(user) if user else None


class CapturingEmitter:
    """Stands in for the UDP emitter: keeps the segments the recorder would send to the daemon."""

    def __init__(self):
        self.segments = []

    def send_entity(self, entity):
        self.segments.append(entity)

    def set_daemon_address(self, address):
        pass


def _local_sampling():
    # Centralized sampling would poll a daemon; unit tests have none. The lab's fallback rules.
    xray_recorder.configure(sampler=LocalSampler(json.loads(XRAY_SAMPLING_RULES.read_text())))


@pytest.fixture(autouse=True)
def no_cloudwatch(monkeypatch):
    # The apps read this when they are created: no log shipping without LocalStack.
    monkeypatch.setenv("CLOUDWATCH_LOGS_ENABLED", "false")


def _named(monkeypatch, service: str) -> None:
    # As compose.yaml does: the service's name comes from OTEL_SERVICE_NAME.
    monkeypatch.setenv("OTEL_SERVICE_NAME", service)


@pytest.fixture
def spans():
    _exporter.clear()
    yield _exporter
    _exporter.clear()


@pytest.fixture
def metric_points():
    """points(name) -> {attributes: value} of a counter, as recorded since the test started."""
    before = _counter_points()

    def points(name: str) -> dict[tuple, float]:
        now = _counter_points().get(name, {})
        return {key: value - before.get(name, {}).get(key, 0) for key, value in now.items()
                if value != before.get(name, {}).get(key, 0)}  # fmt: skip

    return points


def _counter_points() -> dict[str, dict[tuple, float]]:
    found: dict[str, dict[tuple, float]] = {}
    data = _metric_reader.get_metrics_data()
    for resource in data.resource_metrics if data else ():
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                for point in metric.data.data_points:
                    found.setdefault(metric.name, {})[tuple(sorted(point.attributes.items()))] = point.value
    return found


@pytest.fixture
def users_directory():
    return FakeUsersDirectory()


@pytest.fixture(autouse=True)
def flask_rendering_restored():
    # The X-Ray SDK's Flask middleware wraps flask.templating._render for the whole process;
    # other apps tested in this process (the console) must render with Flask's own.
    original = flask.templating._render
    yield
    flask.templating._render = original


@pytest.fixture
def app(monkeypatch, users_directory):
    _named(monkeypatch, "backend-flask")
    app = backend_flask.create_app(users=users_directory)
    _local_sampling()
    return app


@pytest.fixture
def users_app(monkeypatch):
    _named(monkeypatch, "users-api")
    app = users_api.create_app()
    _local_sampling()
    return app


@pytest.fixture
def xray_segments(app):
    emitter = CapturingEmitter()
    xray_recorder.configure(emitter=emitter)
    return emitter.segments
