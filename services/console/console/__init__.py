"""The lab console: a span store (DuckDB) fed by the collector over OTLP/HTTP, and a web page and
JSON API that ask it Honeycomb's questions. A Flask app factory."""

import os
from datetime import timedelta

from flask import Flask, Response

from console import aws_routes, errors, routes
from console.store import SpanStore

# What the pages may load and run: their own scripts only (no inline script, no other origin), so
# that text from telemetry that slipped into the page as HTML still could not run. Plotly styles
# its charts inline, hence 'unsafe-inline' for styles.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def _secure_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def create_app(store: SpanStore | None = None) -> Flask:
    """The app; `store` replaces the one configured by the environment (tests pass their own)."""
    app = Flask(__name__)
    app.json.sort_keys = False  # group-by fields and table columns keep the query's order
    app.config["MAX_CONTENT_LENGTH"] = routes.MAX_BODY_BYTES
    app.extensions["span_store"] = store or SpanStore(
        os.environ.get("CONSOLE_DB", "/data/spans.duckdb"),
        retention=timedelta(hours=float(os.environ.get("CONSOLE_RETENTION_HOURS", "48"))),
        max_spans=int(os.environ.get("CONSOLE_MAX_SPANS", "5000000")),
        memory_limit=os.environ.get("CONSOLE_MEMORY_LIMIT", "256MB"),
    )
    app.config["JAEGER_PUBLIC_URL"] = os.environ.get("JAEGER_PUBLIC_URL", "http://127.0.0.1:16686")
    errors.register(app)
    app.after_request(_secure_headers)
    app.register_blueprint(routes.bp)
    app.register_blueprint(aws_routes.bp)
    return app
