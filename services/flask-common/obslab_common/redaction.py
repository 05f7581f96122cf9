"""Secrets kept out of telemetry at the source. The OpenTelemetry Flask instrumentation records
a request's query string (url.query, or http.target with the older conventions); a client that
sends ?token=... or ?password=... would see it in Jaeger, the console and X-Ray. install() makes
each request replace such values on its span before the app runs, so no exporter ever sees
them. (Request headers are not recorded at all: the lab sets none of the
OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_* variables; the X-Ray SDK records the URL without its
query; the request log has the path only.) The collector redacts the same as a safety net
(collector/config.yaml, transform/redact)."""

import re

from flask import Flask
from opentelemetry import trace

# Query parameters whose values are credentials. The collector's list is the same (a test checks).
SECRET_PARAMETERS = ("token", "access_token", "id_token", "password", "passwd", "secret", "api_key", "apikey", "key")
_SECRET_VALUE = re.compile(r"(?i)((?:^|[?&;])(?:" + "|".join(SECRET_PARAMETERS) + r")=)[^&;#]*")
# The attributes in which the HTTP instrumentations put a query string.
URL_ATTRIBUTES = ("url.query", "url.full", "http.target", "http.url")


def redact(text: str) -> str:
    """The text with the value of every credential-like query parameter replaced by REDACTED."""
    return _SECRET_VALUE.sub(r"\1REDACTED", text)


def redact_span(span: trace.Span) -> None:
    attributes = getattr(span, "attributes", None) or {}  # a non-recording span has none
    for key in URL_ATTRIBUTES:
        value = attributes.get(key)
        if isinstance(value, str) and (clean := redact(value)) != value:
            span.set_attribute(key, clean)


def install(app: Flask) -> None:
    """Redact the request's server span before the app's own code runs. The instrumentation sets
    the URL attributes after the span has started (so a span processor's on_start is too early)
    in its own before_request function, registered when the app was created: this one runs next."""
    app.before_request(lambda: redact_span(trace.get_current_span()))
