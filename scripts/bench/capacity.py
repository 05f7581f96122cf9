"""Telemetry capacity: the highest span rate each path carries with no span lost.

telemetrygen sends traces (a parent and a child span each) to the collector at a stepped rate,
each step under its own service name. After a step, once the pipeline's counters stop moving,
the spans are counted where they ended up:
- the collector: spans it accepted, and refused (its memory limiter's push-back; own metrics);
- Jaeger: spans its storage exporter wrote to Badger (Jaeger's own metrics);
- the console: spans of the step's service in its DuckDB store (a COUNT query);
- X-Ray: traces of the step's service in LocalStack's X-Ray store (GetTraceSummaries), each
  trace counting for its two spans. The store keeps the newest MAX_TRACES traces (20,000), so a
  step that sends more counts as a loss there: it is the store's real limit.
A path's capacity is the highest step rate whose spans all arrived."""

import subprocess
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

import lab_env

from . import lab

SPANS_PER_TRACE = 2  # telemetrygen's parent and --child-spans 1
WORKERS = 8
PATHS = ("collector", "Jaeger", "console", "X-Ray")


@dataclass
class Step:
    rate: int  # spans per second asked of telemetrygen
    seconds: int
    service: str
    received: int = 0  # spans the collector accepted or refused
    arrived: dict[str, int] = field(default_factory=dict)  # path -> spans counted there

    @property
    def achieved_rate(self) -> float:
        return self.received / self.seconds

    def lost(self, path: str) -> int:
        return self.received - self.arrived.get(path, 0)


def _delta(before: dict[str, float], after: dict[str, float], key: str) -> int:
    return int(after.get(key, 0) - before.get(key, 0))


def _settled_counters(timeout: float) -> dict[str, float]:
    """The pipeline's counters once two scrapes in a row agree (everything queued has drained)."""
    interval = lab.scrape_interval()
    time.sleep(2 * interval)
    previous = lab.pipeline_counters()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(interval + 0.5)
        current = lab.pipeline_counters()
        if current == previous:
            return current
        previous = current
    return previous


def _console_spans(service: str) -> int:
    response = requests.post(
        f"{lab.CONSOLE}/api/query",
        json={"text": f'VISUALIZE COUNT WHERE service.name = "{service}" SINCE 1h'},
        timeout=60,
    )
    response.raise_for_status()
    rows = response.json()["table"]["rows"]
    return int(rows[0][0]) if rows else 0


def _xray_spans(service: str, since: datetime) -> int:
    xray = lab_env.aws_client("xray", lab.LOCALSTACK)
    traces = 0
    for page in xray.get_paginator("get_trace_summaries").paginate(
        StartTime=since,
        EndTime=datetime.now(UTC) + timedelta(minutes=1),
        # By segment time: telemetrygen's trace ids are random, not X-Ray's time-first ids.
        TimeRangeType="Event",
        FilterExpression=f'service("{service}")',
    ):
        traces += len(page["TraceSummaries"])
    return traces * SPANS_PER_TRACE


def run_step(
    telemetrygen: Path, rate: int, seconds: int, run_id: str, before: dict[str, float], log: Path
) -> tuple[Step, dict[str, float]]:
    """One step, from settled counters `before`; the step and the counters once they settle again."""
    step = Step(rate, seconds, service=f"bench-{run_id}-{rate}")
    started = datetime.now(UTC) - timedelta(seconds=5)
    command = [
        str(telemetrygen), "traces", "--otlp-endpoint", lab.OTLP_GRPC, "--otlp-insecure",
        "--service", step.service, "--child-spans", "1", "--workers", str(WORKERS),
        "--rate", str(rate / WORKERS), "--duration", f"{seconds}s", "--allow-export-failures",
    ]  # fmt: skip
    with open(log, "a") as out:
        subprocess.run(command, stdout=out, stderr=out, check=True)
    after = _settled_counters(timeout=90)
    accepted = _delta(before, after, "otel-collector-internal/receiver_accepted/otlp")
    step.received = accepted + _delta(before, after, "otel-collector-internal/receiver_refused/otlp")
    step.arrived["collector"] = accepted
    step.arrived["Jaeger"] = _delta(before, after, "jaeger/exporter_sent/jaeger_storage_exporter")
    step.arrived["console"] = _console_spans(step.service)
    step.arrived["X-Ray"] = _xray_spans(step.service, started)
    return step, after


def measure(telemetrygen: Path, rates: list[int], seconds: int, log: Path) -> list[Step]:
    """Steps in increasing rate, until the Jaeger path loses spans or the rates run out."""
    run_id = datetime.now(UTC).strftime("%H%M%S")
    steps = []
    # The collector counts every service's spans: start once earlier traffic has drained. Each
    # step ends on settled counters, which the next one starts from (nothing else sends spans).
    counters = _settled_counters(timeout=90)
    for rate in rates:
        print(f"    {rate:>6} spans/s for {seconds} s ...", end=" ", flush=True)
        step, counters = run_step(telemetrygen, rate, seconds, run_id, counters, log)
        steps.append(step)
        print(
            f"sent {step.received} ({step.achieved_rate:.0f}/s); lost: "
            + ", ".join(f"{path} {step.lost(path)}" for path in PATHS),
            flush=True,
        )
        if step.lost("Jaeger") > 0:
            break
    return steps


def capacity(steps: list[Step], path: str) -> int | None:
    """The highest rate a step achieved with nothing lost on `path` (None: it lost at every step)."""
    lossless = [step.achieved_rate for step in steps if step.received and step.lost(path) == 0]
    return int(max(lossless)) if lossless else None
