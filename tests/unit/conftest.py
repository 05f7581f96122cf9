"""Unit tests of the services' own code: no Docker, no network.

Spans go to an in-memory exporter and X-Ray segments to a capturing emitter, so the tests can
read what the code recorded. users-api is replaced by a dictionary where backend-flask calls it.
(That the real stack receives all this is tests/integration's job.)
"""

import pytest
from aws_xray_sdk.core import xray_recorder
from aws_xray_sdk.core.sampling.local.sampler import LocalSampler
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import backend_flask
import users_api
from backend_flask import users

_exporter = InMemorySpanExporter()
_provider = TracerProvider()
_provider.add_span_processor(SimpleSpanProcessor(_exporter))
# The global provider can be set once per process; every test shares it and clears the exporter.
trace.set_tracer_provider(_provider)

USERS = {
    "andrewbrown": {"handle": "andrewbrown", "display_name": "Andrew Brown", "bio": "", "cruds_count": 1},
    "worf": {"handle": "worf", "display_name": "Worf", "bio": "", "cruds_count": 1},
}


class CapturingEmitter:
    """Stands in for the UDP emitter: keeps the segments the recorder would send to the daemon."""

    def __init__(self):
        self.segments = []

    def send_entity(self, entity):
        self.segments.append(entity)

    def set_daemon_address(self, address):
        pass


def _local_sampling():
    # Centralized sampling would poll a daemon; unit tests have none.
    xray_recorder.configure(sampler=LocalSampler())


@pytest.fixture(autouse=True)
def no_cloudwatch(monkeypatch):
    # The apps read this when they are created: no log shipping without LocalStack.
    monkeypatch.setenv("CLOUDWATCH_LOGS_ENABLED", "false")


@pytest.fixture
def spans():
    _exporter.clear()
    yield _exporter
    _exporter.clear()


@pytest.fixture
def app(monkeypatch):
    monkeypatch.setattr(users, "profile", lambda handle: USERS.get(handle.lower()))
    app = backend_flask.create_app()
    _local_sampling()
    return app


@pytest.fixture
def users_app():
    app = users_api.create_app()
    _local_sampling()
    return app


@pytest.fixture
def xray_segments(app):
    emitter = CapturingEmitter()
    xray_recorder.configure(emitter=emitter)
    return emitter.segments
