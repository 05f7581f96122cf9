"""All of backend-flask's tracing set-up, in one place.

OpenTelemetry: the SDK, the OTLP exporter and the Flask/requests instrumentation come from
`opentelemetry-instrument` (zero-code), configured with the standard OTEL_* variables; set
OTEL_SDK_DISABLED=true to turn it off. This module only adds manual spans.

AWS X-Ray (the legacy path): the X-Ray SDK's recorder and Flask middleware, sending segments to
the daemon at AWS_XRAY_DAEMON_ADDRESS; set AWS_XRAY_SDK_ENABLED=false to turn it off.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aws_xray_sdk import global_sdk_config
from aws_xray_sdk.core import xray_recorder
from aws_xray_sdk.core.sampling.local.sampler import LocalSampler
from aws_xray_sdk.ext.flask.middleware import XRayMiddleware
from flask import Flask
from opentelemetry import trace

SERVICE_NAME = "backend-flask"
XRAY_SAMPLING_RULES = Path(__file__).with_name("xray-sampling-rules.json")

tracer = trace.get_tracer("backend_flask")


def init_app(app: Flask) -> None:
    if not global_sdk_config.sdk_enabled():
        return
    xray_recorder.configure(
        service=SERVICE_NAME,
        # A tracing problem must never turn into an error for the caller.
        context_missing="IGNORE_ERROR",
        # Local rules for now; centralized rules need the sampling API in LocalStack.
        sampler=LocalSampler(),
        sampling_rules=str(XRAY_SAMPLING_RULES),
        plugins=(),
    )
    XRayMiddleware(app, xray_recorder)


class Work:
    """Handle on a unit of work traced as an OpenTelemetry span and an X-Ray subsegment."""

    def __init__(self, span: trace.Span, subsegment) -> None:
        self._span = span
        self._subsegment = subsegment

    def set(self, key: str, value: str | int | float | bool) -> None:
        self._span.set_attribute(key, value)
        if self._subsegment is not None:
            # X-Ray annotation keys allow letters, digits and underscores only.
            self._subsegment.put_annotation(key.replace(".", "_"), value)


@contextmanager
def traced(name: str) -> Iterator[Work]:
    with tracer.start_as_current_span(name) as span, xray_recorder.in_subsegment(name) as subsegment:
        yield Work(span, subsegment)
