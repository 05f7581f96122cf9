"""Unit tests of backend-flask's own code: no Docker, no network.

Spans go to an in-memory exporter and X-Ray segments to a capturing emitter, so the tests can
read what the app recorded. (That the real stack receives them is tests/integration's job.)
"""

import pytest
from aws_xray_sdk.core import xray_recorder
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from backend_flask import create_app

_exporter = InMemorySpanExporter()
_provider = TracerProvider()
_provider.add_span_processor(SimpleSpanProcessor(_exporter))
# The global provider can be set once per process; every test shares it and clears the exporter.
trace.set_tracer_provider(_provider)


class CapturingEmitter:
    """Stands in for the UDP emitter: keeps the segments the recorder would send to the daemon."""

    def __init__(self):
        self.segments = []

    def send_entity(self, entity):
        self.segments.append(entity)

    def set_daemon_address(self, address):
        pass


@pytest.fixture
def spans():
    _exporter.clear()
    yield _exporter
    _exporter.clear()


@pytest.fixture
def app():
    return create_app()


@pytest.fixture
def xray_segments(app):
    emitter = CapturingEmitter()
    xray_recorder.configure(emitter=emitter)
    return emitter.segments
