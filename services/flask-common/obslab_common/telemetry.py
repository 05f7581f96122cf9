"""Tracing and logging set-up of the lab's Flask services: each app factory calls init() once.

The service's name is OTEL_SERVICE_NAME (set in compose.yaml), read by the OpenTelemetry SDK and
here for the X-Ray SDK and the log stream, so renaming a service renames it everywhere.

- OpenTelemetry: the SDK, OTLP export (traces and metrics) and the Flask/requests
  instrumentation come from the zero-code instrumentation (what `opentelemetry-instrument` does,
  started in the gunicorn worker by obslab_common.gunicorn_defaults), configured by the standard
  OTEL_* variables (OTEL_SDK_DISABLED=true turns it off). Here: manual spans, through traced(),
  and `meter`, from which the services create their own metrics.
- AWS X-Ray SDK (the legacy path): recorder, Flask middleware, and the `requests` patch that
  records downstream calls and propagates X-Amzn-Trace-Id. Sampling is centralized (rules
  fetched through the daemon) with the local rules file as fallback. AWS_XRAY_SDK_ENABLED=false
  turns it off.
- Secrets: credential-like query parameters are redacted from each request's span before the
  app runs (obslab_common.redaction); no request header is recorded.
- CloudWatch Logs: one structured line per request, shipped with watchtower to the group
  CLOUDWATCH_LOG_GROUP (default "cruddur"), one stream per process. CLOUDWATCH_LOGS_ENABLED=false
  turns it off. The endpoint comes from boto3's AWS_ENDPOINT_URL_CLOUDWATCH_LOGS.

None of these may break a request: exporters and shippers work in the background, and the
X-Ray SDK is told to ignore a missing context.
"""

import logging
import logging.handlers
import math
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3
import watchtower
from aws_xray_sdk import global_sdk_config
from aws_xray_sdk.core import patch, xray_recorder
from aws_xray_sdk.core.emitters.udp_emitter import UDPEmitter
from aws_xray_sdk.ext.flask.middleware import XRayMiddleware
from botocore.config import Config
from flask import Flask, g, request
from opentelemetry import metrics, trace

from obslab_common import redaction

XRAY_SAMPLING_RULES = Path(__file__).with_name("xray-sampling-rules.json")
REQUEST_LOGGER = "obslab.requests"

tracer = trace.get_tracer("obslab")
meter = metrics.get_meter("obslab")
_shippers: list[logging.Handler] = []


def _enabled(variable: str) -> bool:
    return os.environ.get(variable, "true").strip().lower() not in ("false", "0", "no", "off")


def service_name() -> str:
    """The service's name; OpenTelemetry's own default when OTEL_SERVICE_NAME is not set."""
    return os.environ.get("OTEL_SERVICE_NAME", "").strip() or "unknown_service"


def init(app: Flask) -> None:
    """Wire every tracing/logging path into the app. Call once, from the app factory."""
    service = service_name()
    redaction.install(app)
    _quiet_xray_sdk_logs()
    if global_sdk_config.sdk_enabled():
        # Our emitter replaces the SDK's default one, not one set up before (the unit tests').
        default_emitter = type(xray_recorder.emitter) is UDPEmitter
        xray_recorder.configure(
            emitter=DaemonEmitter() if default_emitter else xray_recorder.emitter,
            service=service,
            context_missing="IGNORE_ERROR",
            sampling_rules=str(XRAY_SAMPLING_RULES),
            plugins=(),
        )
        XRayMiddleware(app, xray_recorder)
        patch(("requests",))
    _init_request_log(app, service)


class Work:
    """Handle on a unit of work traced as an OpenTelemetry span and an X-Ray subsegment."""

    def __init__(self, span: trace.Span, subsegment) -> None:
        self._span = span
        self._subsegment = subsegment

    def set(self, key: str, value: str | int | float | bool) -> None:
        """An attribute on the span, an (indexed, searchable) annotation on the subsegment."""
        self._span.set_attribute(key, value)
        if self._subsegment is not None:
            # X-Ray annotation keys allow letters, digits and underscores only.
            self._subsegment.put_annotation(key.replace(".", "_"), value)

    def detail(self, key: str, value) -> None:
        """Data worth seeing but not searching: X-Ray metadata (any JSON), a span event in OpenTelemetry."""
        self._span.add_event(key, {"app.detail": repr(value)[:1000]})
        if self._subsegment is not None:
            self._subsegment.put_metadata(key, value, "cruddur")


@contextmanager
def traced(name: str) -> Iterator[Work]:
    with tracer.start_as_current_span(name) as span, xray_recorder.in_subsegment(name) as subsegment:
        yield Work(span, subsegment)


def flush() -> None:
    """Ship buffered log lines now; gunicorn calls this when a worker exits (docker compose stop)."""
    for handler in _shippers:
        handler.close()


class DaemonEmitter(UDPEmitter):
    """The X-Ray SDK's UDP emitter, resolving the daemon's host name (AWS_XRAY_DAEMON_ADDRESS is
    xray-daemon:2000) once a minute: the SDK's own hands the name to every sendto(), which costs
    a DNS query per segment sent. A minute keeps up with a daemon recreated at a new address."""

    RESOLVE_EVERY_SECONDS = 60.0

    def set_daemon_address(self, address) -> None:
        super().set_daemon_address(address)
        self._address, self._resolved_at = self._ip, -math.inf  # resolved on the first send

    def _send_data(self, data: str) -> None:
        now = time.monotonic()
        if now - self._resolved_at > self.RESOLVE_EVERY_SECONDS:
            try:
                self._address = socket.gethostbyname(self._ip)
            except OSError:
                self._address = self._ip  # sendto() will say what is wrong; the SDK logs it
            self._resolved_at = now
        self._socket.sendto(data.encode("utf-8"), (self._address, self._port))


class _OncePerInterval(logging.Filter):
    """Lets each distinct message through at most once per interval (a down daemon would
    otherwise produce a traceback per request)."""

    def __init__(self, seconds: float = 60) -> None:
        super().__init__()
        self._seconds = seconds
        self._last: dict[tuple[str, str], float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, str(record.msg))
        now = time.monotonic()
        if now - self._last.get(key, -math.inf) < self._seconds:
            return False
        self._last[key] = now
        return True


class _Batches(logging.handlers.MemoryHandler):
    """Hands request lines to watchtower in batches, each line at most `interval` seconds late.
    Given lines one by one, watchtower wakes its sending thread for each: under load, that thread
    switch cost the request more than the line itself. Given a batch, it wakes once."""

    def __init__(self, target: logging.Handler, interval: float = 1.0, capacity: int = 1000) -> None:
        # Only capacity and the timer flush: no level triggers an early flush.
        super().__init__(capacity, flushLevel=logging.CRITICAL + 1, target=target, flushOnClose=True)
        threading.Thread(target=self._flush_every, args=(interval,), name="request-log-batches", daemon=True).start()

    def _flush_every(self, interval: float) -> None:
        while self.target is not None:
            time.sleep(interval)
            self.flush()


def _quiet_xray_sdk_logs() -> None:
    # The SDK's own complaints go to stderr, rate-limited, and never to CloudWatch.
    sdk_logger = logging.getLogger("aws_xray_sdk")
    if not sdk_logger.handlers:
        handler = logging.StreamHandler()
        handler.addFilter(_OncePerInterval())
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        sdk_logger.addHandler(handler)
        sdk_logger.setLevel(logging.WARNING)
        sdk_logger.propagate = False


def _init_request_log(app: Flask, service: str) -> None:
    logger = logging.getLogger(REQUEST_LOGGER)
    logger.setLevel(logging.INFO)
    # Only our handler sees these lines; nothing else propagates into CloudWatch (no loops).
    logger.propagate = False
    if _enabled("CLOUDWATCH_LOGS_ENABLED") and not _shippers:
        handler = watchtower.CloudWatchLogHandler(
            log_group_name=os.environ.get("CLOUDWATCH_LOG_GROUP", "cruddur"),
            log_stream_name=f"{service}/{socket.gethostname()}/{{process_id}}",
            send_interval=int(os.environ.get("CLOUDWATCH_SEND_INTERVAL", "3")),
            # LocalStack's init hook creates the group; creating it here would call AWS
            # synchronously at start-up.
            create_log_group=False,
            boto3_client=boto3.client(
                "logs",
                config=Config(
                    connect_timeout=1,
                    read_timeout=3,
                    # While LocalStack restarts, a batch waits: retried with backoff (at most
                    # 20 s apart) for about two minutes, in watchtower's thread, lines queueing.
                    retries={"total_max_attempts": 15, "mode": "standard"},
                    # The events are ours and well formed; botocore checking each event of every
                    # batch against the API model cost more CPU than the request that logged it.
                    parameter_validation=False,
                ),
            ),
        )
        batcher = _Batches(handler)
        # Closed in this order on flush(): the batcher hands over what it holds, then watchtower ships it.
        _shippers.extend([batcher, handler])
        logger.addHandler(batcher)

    @app.before_request
    def start_clock():
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response):
        if request.path == "/health":
            return response  # health checks every few seconds would drown the real requests
        started = g.get("request_started", time.perf_counter())
        line = {
            "service": service,
            "method": request.method,
            "path": request.path,
            "route": request.url_rule.rule if request.url_rule else None,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            **trace_ids(),
        }
        logger.info(line)
        return response


def trace_ids() -> dict:
    """The current request's ids in both tracers, to correlate logs and error reports with traces."""
    ids = {}
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        ids["otel_trace_id"] = format(context.trace_id, "032x")
        ids["otel_span_id"] = format(context.span_id, "016x")
    segment = xray_recorder.current_segment() if global_sdk_config.sdk_enabled() else None
    if segment is not None:
        ids["xray_sampled"] = bool(segment.sampled)
        # Unsampled requests get a no-op segment whose id means nothing.
        if segment.sampled:
            ids["xray_trace_id"] = segment.trace_id
    return ids
