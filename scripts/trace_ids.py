"""Ids for one request that both tracers honour, so it can be followed into every backend."""

import os
import time


def new_ids() -> dict[str, str]:
    """Fresh ids for one request: a W3C traceparent for OpenTelemetry, a header for X-Ray.
    Both carry the same trace id (X-Ray's format: the time first), so the request's spans and
    segments from both tracers meet in one X-Ray trace, and Jaeger has it under the same id."""
    otel_trace_id = f"{int(time.time()):08x}{os.urandom(12).hex()}"
    parent_span_id = os.urandom(8).hex()
    xray_trace_id = f"1-{otel_trace_id[:8]}-{otel_trace_id[8:]}"
    return {
        "otel_trace_id": otel_trace_id,
        "parent_span_id": parent_span_id,
        "xray_trace_id": xray_trace_id,
        "headers": {
            "traceparent": f"00-{otel_trace_id}-{parent_span_id}-01",
            # Sampled=1: recorded whatever the sampling rules say, so the request is always in X-Ray.
            "X-Amzn-Trace-Id": f"Root={xray_trace_id};Sampled=1",
        },
    }
