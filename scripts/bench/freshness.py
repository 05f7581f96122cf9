"""Freshness: how long after a request returns it can be seen in each backend.

Requests to GET /api/activities/home carry known ids (trace_ids.new_ids: a traceparent and a
sampled X-Amzn-Trace-Id), one every half second. One poller per backend asks, every
POLL_SECONDS, for the requests it has not seen yet; a request's figure is the time from its
response to the first poll that finds it (so figures are at most POLL_SECONDS late)."""

import threading
import time

import requests
from botocore.exceptions import BotoCoreError, ClientError
from telemetry_stores import in_console, in_jaeger, logged_otel_trace_ids, xray_tracers

import lab_env
from trace_ids import new_ids
from xray_tree import OPENTELEMETRY, XRAY_SDK

from . import lab

POLL_SECONDS = 0.1
TIMEOUT_SECONDS = 30
PATH = "/api/activities/home"

# The requests a backend has not shown yet: OpenTelemetry trace id -> (sending order, ids).
Pending = dict[str, tuple[int, dict]]


def _jaeger(pending: Pending) -> set[str]:
    return in_jaeger(lab.JAEGER, pending, timeout=5)


def _console(pending: Pending) -> set[str]:
    return in_console(lab.CONSOLE, pending, timeout=5)


def _xray(tracer: str):
    xray = lab_env.aws_client("xray", lab.LOCALSTACK)

    def check(pending: Pending) -> set[str]:
        by_xray_id = {ids["xray_trace_id"]: otel_id for otel_id, (_, ids) in pending.items()}
        return {by_xray_id[i] for i, tracers in xray_tracers(xray, by_xray_id).items() if tracer in tracers}

    return check


def _cloudwatch(since_ms: int):
    logs = lab_env.aws_client("logs", lab.LOCALSTACK)
    group = lab_env.setting("CLOUDWATCH_LOG_GROUP")

    def check(pending: Pending) -> set[str]:
        return logged_otel_trace_ids(logs, group, since_ms) & set(pending)

    return check


def _prometheus():
    # The span metrics' call counter for the endpoint: request n (in sending order) is visible once
    # the counter has grown by n since the start. Nothing else calls the endpoint during the bench.
    query = f'sum(traces_span_metrics_calls_total{{service_name="backend-flask", span_name="GET {PATH}"}})'

    def count() -> float:
        result = lab.promql(query)
        return float(result[0]["value"][1]) if result else 0.0

    baseline = count()

    def check(pending: Pending) -> set[str]:
        grown = count() - baseline
        return {otel_id for otel_id, (n, _) in pending.items() if n < grown}

    return check


def measure(count: int, only: set[str] | None = None) -> dict[str, list[float | None]]:
    """{backend: seconds per request (None: not seen within TIMEOUT_SECONDS)}; `only`: those
    backends."""
    started = time.time()
    checks = {
        "Jaeger": _jaeger,
        "X-Ray (OpenTelemetry path)": _xray(OPENTELEMETRY),
        "X-Ray (X-Ray SDK path)": _xray(XRAY_SDK),
        "CloudWatch Logs": _cloudwatch(int(started * 1000) - 1000),
        "Prometheus": _prometheus(),
        "console": _console,
    }
    checks = {backend: check for backend, check in checks.items() if only is None or backend in only}
    sent: dict[str, tuple[dict, float]] = {}
    seen: dict[str, dict[str, float]] = {backend: {} for backend in checks}
    lock = threading.Lock()
    done = threading.Event()

    def poll(backend: str, check) -> None:
        while not done.is_set():
            with lock:
                pending = {i: (n, ids) for n, (i, (ids, _)) in enumerate(sent.items()) if i not in seen[backend]}
            if pending:
                try:
                    found = check(pending)
                except (requests.RequestException, BotoCoreError, ClientError, ValueError, KeyError) as error:
                    # Reported and polled again: a poller that died would count as never seen.
                    print(f"      {backend}: {error!r}", flush=True)
                    found = set()
                now = time.perf_counter()
                with lock:
                    for otel_id in found:
                        seen[backend][otel_id] = now - sent[otel_id][1]
            time.sleep(POLL_SECONDS)

    pollers = [threading.Thread(target=poll, args=item, daemon=True) for item in checks.items()]
    for poller in pollers:
        poller.start()
    for _ in range(count):
        ids = new_ids()
        response = requests.get(lab.BACKEND + PATH, headers=ids["headers"], timeout=10)
        response.raise_for_status()
        with lock:
            sent[ids["otel_trace_id"]] = (ids, time.perf_counter())
        time.sleep(0.5)
    deadline = time.perf_counter() + TIMEOUT_SECONDS
    while time.perf_counter() < deadline and any(len(s) < count for s in seen.values()):
        time.sleep(0.2)
    done.set()
    for poller in pollers:
        poller.join()
    return {backend: [seen[backend].get(i) for i in sent] for backend in checks}
