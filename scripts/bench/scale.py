"""The scale profile, measured in the same `make bench` run as the laptop profile.

After the laptop sections, the benchmark's lab is brought up again as the scale profile
(`make up SCALE=1`), with SAMPLING_PERCENT=100 so that every span is indexed and the indexing
rate is the whole load's. Measured:
- start: `make down`, then `make up SCALE=1` until healthy (warm: images built, volumes kept);
- idle RSS per container, 20 s after start;
- freshness: request -> visible in Jaeger (through Kafka, an ingester's decision wait, OpenSearch);
- intake: telemetrygen straight into Jaeger's collector role (its OTLP port) at stepped rates;
  a step counts if every span the role accepted reached Kafka and none was refused;
- indexing: OpenSearch's span count (`_count`, polled every second) from the start of a step
  until it holds every span of the step: the sustained indexing rate, and how long the backlog
  took to drain after the load stopped.
"""

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import requests

import footprint
import lab_env

from . import freshness, lab

SCALE_ENV = {"SAMPLING_PERCENT": "100"}
COMPOSE = ["docker", "compose", "-f", "compose.yaml", "-f", "compose.scale.yaml"]
WORKERS = 8
DRAIN_TIMEOUT = 600


@dataclass
class Burst:
    rate: int  # spans/s asked of telemetrygen
    seconds: int
    accepted: int = 0  # spans the collector role accepted
    refused: int = 0  # ... and refused (memory limiter)
    to_kafka: int = 0  # spans the role's Kafka exporter sent
    kafka_failed: int = 0
    indexed: int = 0  # spans OpenSearch gained
    load_seconds: float = 0.0  # how long telemetrygen ran
    drain_seconds: float | None = None  # from the end of the load until OpenSearch held every span

    @property
    def intake_rate(self) -> float:
        return self.accepted / self.load_seconds if self.load_seconds else 0.0

    @property
    def lossless_intake(self) -> bool:
        return self.accepted > 0 and self.refused == 0 and self.kafka_failed == 0 and self.to_kafka >= self.accepted

    @property
    def indexing_rate(self) -> float | None:
        if self.drain_seconds is None:
            return None
        return self.indexed / (self.load_seconds + self.drain_seconds)


def up(log: Path) -> float:
    return lab.run(["make", "up", "SCALE=1"], env=SCALE_ENV, log=log)


def start(log: Path) -> dict[str, float]:
    """`make down` then `make up SCALE=1`, timed, from the laptop profile running."""
    down = lab.run(["make", "down"], log=log)
    print("    first start of the scale profile (new volumes; not timed)", flush=True)
    up(log)
    down_scale = lab.run(["make", "down"], log=log)
    return {"make up SCALE=1": up(log), "make down": down_scale, "make down (laptop)": down}


def idle_rss() -> dict[str, int]:
    """VmRSS of every container of the project, by container name (the ingesters are two)."""
    project = lab.project()
    names = subprocess.run(
        ["docker", "ps", "--filter", f"label=com.docker.compose.project={project}", "--format", "{{.ID}} {{.Names}}"],
        capture_output=True, text=True, check=True,
    ).stdout.split("\n")  # fmt: skip
    sizes = {}
    for line in filter(None, names):
        container_id, name = line.split()
        sizes[name.removeprefix(f"{project}-")] = footprint.memory(container_id).rss
    return dict(sorted(sizes.items()))


def _opensearch_spans() -> int:
    url = f"http://127.0.0.1:{lab_env.setting('OPENSEARCH_PORT')}/jaeger-span-*/_count"
    response = requests.get(url, timeout=10)
    if response.status_code == 404:  # no index yet
        return 0
    response.raise_for_status()
    return int(response.json()["count"])


def _role_counters() -> dict[str, float]:
    """The collector role's own counters, as Prometheus last scraped them."""
    names = "receiver_accepted|receiver_refused|exporter_sent|exporter_send_failed"
    query = f'{{__name__=~"otelcol_({names})_spans(_total)?", job="jaeger-collector"}}'
    counters = {}
    for series in lab.promql(query):
        metric = series["metric"]["__name__"].removeprefix("otelcol_").removesuffix("_total").removesuffix("_spans")
        counters[metric] = counters.get(metric, 0) + float(series["value"][1])
    return counters


def _settled_role_counters(timeout: float = 60) -> dict[str, float]:
    interval = lab.scrape_interval()
    previous, deadline = _role_counters(), time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(interval + 0.5)
        current = _role_counters()
        if current == previous:
            return current
        previous = current
    return previous


def burst(telemetrygen: Path, rate: int, seconds: int, log: Path) -> Burst:
    """One step: telemetrygen into the collector role; then OpenSearch watched until it holds
    every accepted span (or DRAIN_TIMEOUT)."""
    step = Burst(rate, seconds)
    before, indexed_before = _settled_role_counters(), _opensearch_spans()
    endpoint = f"127.0.0.1:{lab_env.setting('JAEGER_COLLECTOR_OTLP_PORT')}"
    command = [
        str(telemetrygen), "traces", "--otlp-endpoint", endpoint, "--otlp-insecure",
        "--service", f"bench-scale-{rate}", "--child-spans", "1", "--workers", str(WORKERS),
        "--rate", str(rate / WORKERS), "--duration", f"{seconds}s", "--allow-export-failures",
    ]  # fmt: skip
    began = time.monotonic()
    with open(log, "a") as out:
        subprocess.run(command, stdout=out, stderr=out, check=True)
    load_end = time.monotonic()
    step.load_seconds = load_end - began
    after = _settled_role_counters()

    def delta(key: str) -> int:
        return int(after.get(key, 0) - before.get(key, 0))

    step.accepted, step.refused = delta("receiver_accepted"), delta("receiver_refused")
    step.to_kafka, step.kafka_failed = delta("exporter_sent"), delta("exporter_send_failed")
    while time.monotonic() - load_end < DRAIN_TIMEOUT:
        step.indexed = _opensearch_spans() - indexed_before
        if step.indexed >= step.accepted:
            step.drain_seconds = time.monotonic() - load_end
            break
        time.sleep(1)
    return step


def capacity(telemetrygen: Path, rates: list[int], seconds: int, log: Path) -> list[Burst]:
    """Steps of increasing rate until the intake loses spans or the rates run out."""
    steps = []
    for rate in rates:
        print(f"    {rate:>6} spans/s for {seconds} s into the collector role ...", end=" ", flush=True)
        step = burst(telemetrygen, rate, seconds, log)
        steps.append(step)
        drained = f"drained {step.drain_seconds:.0f} s after" if step.drain_seconds is not None else "not drained"
        print(
            f"accepted {step.accepted} ({step.intake_rate:,.0f}/s), refused {step.refused}, "
            f"to Kafka {step.to_kafka}; indexed {step.indexed}, {drained}",
            flush=True,
        )
        if not step.lossless_intake:
            break
    return steps


def jaeger_freshness(count: int) -> list[float | None]:
    return freshness.measure(count, only={"Jaeger"})["Jaeger"]
