"""The scale profile's own promises (run with OBSLAB_PROFILE=scale, `make test-scale`): Kafka
between Jaeger's collector and ingester roles, tail sampling in the ingesters, OpenSearch.

- tail sampling keeps every trace with an error and every slow one, drops the rest at
  SAMPLING_PERCENT=0, and Prometheus counts its decisions per policy and Kafka's consumer lag;
- the ingesters share the topic's partitions;
- the scale drill (scripts/scale_drill.py) on a short schedule: restarting Kafka and OpenSearch
  under traffic should lose no error or slow trace, and restarting an ingester at most the traces
  it was holding for a decision. Not met yet (README, "What a restart loses"): the test runs and
  reports, marked as an expected failure until it is."""

import subprocess
import time

import pytest
import requests
import scale_drill
from restart_drill import Lab as ComposeLab

from .lab import ENV_FILE, PROFILE, TEST_ENV

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(PROFILE != "scale", reason="the scale profile's tests (make test-scale)"),
]


def _sampling(lab, percent: str) -> None:
    """Recreate the ingesters with another SAMPLING_PERCENT (the rest of the lab untouched), and
    wait until both read their partitions again."""
    lab.run_compose("up", "--detach", "--wait", "--no-deps", "jaeger-ingester", env={"SAMPLING_PERCENT": percent})
    scale_drill.settled(_DrillLab(lab), int(ENV_FILE["JAEGER_INGESTERS"]))


@pytest.fixture
def sampling_nothing_by_chance(lab):
    """The ingesters recreated at SAMPLING_PERCENT=0; yields the time they were (re)started."""
    started = time.time()
    _sampling(lab, "0")
    try:
        yield started
    finally:
        _sampling(lab, TEST_ENV["SAMPLING_PERCENT"])


def _send(lab, kinds) -> dict[str, list[str]]:
    """Five traces of each kind to the edge collector; their ids by kind."""
    sent = {kind: [] for kind in kinds}
    collector = lab.url("otel-collector", 4318)
    for kind in kinds:
        for _ in range(5):
            trace_id, body = scale_drill.trace(kind, int(ENV_FILE["SAMPLING_SLOW_MS"]))
            requests.post(f"{collector}/v1/traces", json=body, timeout=10).raise_for_status()
            sent[kind].append(trace_id)
    return sent


def _decisions_since_start(lab, started: float) -> dict[tuple[str, str], float] | None:
    """Tail sampling's decisions (policy, sampled) -> traces, summed over the ingesters running
    now, once Prometheus has scraped each of them since it started at `started` (time.time());
    None before that. A replaced ingester can get its predecessor's address, and so its series:
    until the new process is scraped, that series holds the old process's counts."""
    running = set(_ingester_addresses(lab))
    age = time.time() - started + 5
    uptimes = {
        row["metric"]["instance"].rsplit(":", 1)[0]: float(row["value"][1])
        for row in lab.promql('otelcol_process_uptime_seconds_total{job="jaeger-ingester"}')
    }
    if not running or any(uptimes.get(address, age + 1) > age for address in running):
        return None
    decisions: dict[tuple[str, str], float] = {}
    for row in lab.promql("otelcol_processor_tail_sampling_count_traces_sampled_total"):
        labels = row["metric"]
        if labels.get("instance", "").rsplit(":", 1)[0] in running:
            key = (labels["policy"], labels["sampled"])
            decisions[key] = decisions.get(key, 0) + float(row["value"][1])
    return decisions


def _ingester_addresses(lab) -> list[str]:
    ids = lab.run_compose("ps", "--quiet", "jaeger-ingester").stdout.split()
    inspect = subprocess.run(
        ["docker", "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", *ids],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return inspect.stdout.split()


def _wait_for_scrape(lab, condition, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "Prometheus did not see the decisions in time"
        time.sleep(2)


def test_tail_sampling_keeps_errors_and_slow_traces_and_counts_its_decisions(lab, sampling_nothing_by_chance):
    sent = _send(lab, ("error", "slow", "ordinary"))

    for trace_id in sent["error"] + sent["slow"]:
        lab.jaeger_trace(trace_id, {"drill step"}, timeout=90)
    # Decided at the same time as the kept ones (same decision wait), so by now they are dropped.
    time.sleep(3)
    for trace_id in sent["ordinary"]:
        response = requests.get(f"{lab.jaeger}/api/traces/{trace_id}", timeout=10)
        assert response.status_code == 404, f"{trace_id} was kept at SAMPLING_PERCENT=0"

    def counted():
        # The ingesters started with the fixture, so their counters hold these traces' decisions
        # (and any others' since then: at least, never less).
        decisions = _decisions_since_start(lab, sampling_nothing_by_chance)
        return decisions and decisions.get(("errors", "true"), 0) >= 5 and decisions.get(("slow", "true"), 0) >= 5

    _wait_for_scrape(lab, counted, timeout=90)
    assert lab.promql("otelcol_kafka_receiver_offset_lag_ratio"), "Kafka's consumer lag is not in Prometheus"


def test_the_ingesters_share_the_topic(lab):
    rows = scale_drill.settled(_DrillLab(lab), int(ENV_FILE["JAEGER_INGESTERS"]))
    assert len(rows) == int(ENV_FILE["KAFKA_PARTITIONS"]), rows
    assert len({row["consumer"] for row in rows}) == int(ENV_FILE["JAEGER_INGESTERS"]), rows


class _DrillLab(scale_drill.ScaleLab):
    """The test lab as the drill sees it; URLs looked up when used (a restarted container gets a
    new random host port)."""

    def __init__(self, lab):
        self._lab = lab
        self.compose = ComposeLab("", "", "", "", compose=lab.compose.compose_command_property)
        self.project = TEST_ENV["COMPOSE_PROJECT_NAME"]

    collector = property(lambda self: self._lab.url("otel-collector", 4318))
    jaeger = property(lambda self: self._lab.jaeger)


@pytest.mark.xfail(
    strict=False,
    reason="issue 21, not met yet: some restarts lose error and slow traces (README, 'What a restart "
    "loses'): an ingester its undecided traces (tail sampling in Jaeger 2.12 drops them on shutdown), "
    "OpenSearch's restart a bulk request once its writer's retries run out, and now and then a trace "
    "around an ingester's restart",
)
def test_restarting_kafka_an_ingester_and_opensearch_loses_no_error_or_slow_trace_but_the_decision_window(lab):
    result = scale_drill.drill(_DrillLab(lab), scale_drill.PHASES, down_seconds=4, rate=4, settle_timeout=240)

    assert result["accepted"]["error"] >= 10 and result["accepted"]["slow"] >= 10, result["accepted"]
    assert result["refused"] == []
    # Kafka and OpenSearch: nothing. The ingester: only what it held for a decision.
    assert scale_drill.unexpected_losses(result, rate=4) == {}, result["lost_during"]
