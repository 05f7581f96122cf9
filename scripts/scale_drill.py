"""Scale drill: traces with an error, slow traces and ordinary ones flow into the scale profile
while Kafka, one Jaeger ingester and OpenSearch restart in turn; afterwards, which of them
Jaeger answers for.

    python scripts/scale_drill.py [--down-seconds 10] [--rate 6]     (make scale-drill)

Runs against `make up SCALE=1`. The traces go to the edge collector as an SDK sends them
(OTLP/HTTP), so they take the whole path: collector role, Kafka, ingesters with tail sampling,
OpenSearch, Jaeger's query role. Tail sampling keeps every trace with an error and every trace
slower than SAMPLING_SLOW_MS: the drill fails if one of those is missing. Ordinary traces are
kept by chance (SAMPLING_PERCENT), so they are counted, not required.
tests/integration/test_scale.py runs the same drill on a shorter schedule.
"""

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import requests
from restart_drill import Lab as ComposeLab
from restart_drill import Paced
from restart_drill import restart as restart_service
from telemetry_stores import in_jaeger

import lab_env

SCALE_COMPOSE = ("docker", "compose", "-f", "compose.yaml", "-f", "compose.scale.yaml")
KINDS = ("error", "slow", "ordinary")
# What tail sampling promises to keep.
PROMISED = ("error", "slow")
# Restarted in this order: the broker, one ingester (the first replica), the store.
INGESTER = "jaeger-ingester-1"
PHASES = ("kafka", INGESTER, "opensearch")


@dataclass
class ScaleLab:
    """Where the drill finds the scale profile."""

    collector: str  # the edge collector's OTLP/HTTP address
    jaeger: str
    compose: ComposeLab  # how to run docker compose for it
    project: str  # compose project name (container names start with it)


def trace(kind: str, slow_ms: int) -> tuple[str, dict]:
    """A two-span trace of this kind as OTLP/JSON: (trace id, request body)."""
    trace_id, root_id, child_id = os.urandom(16).hex(), os.urandom(8).hex(), os.urandom(8).hex()
    duration_ms = 2 * slow_ms if kind == "slow" else 5
    end = time.time_ns()
    start = end - duration_ms * 1_000_000
    status = {"code": 2, "message": "drill"} if kind == "error" else {}
    spans = [
        {"traceId": trace_id, "spanId": root_id, "name": f"GET /drill/{kind}", "kind": 2,
         "startTimeUnixNano": str(start), "endTimeUnixNano": str(end), "status": status,
         "attributes": [{"key": "drill.kind", "value": {"stringValue": kind}}]},
        {"traceId": trace_id, "spanId": child_id, "parentSpanId": root_id, "name": "drill step", "kind": 1,
         "startTimeUnixNano": str(start + 1_000_000), "endTimeUnixNano": str(end - 1_000_000)},
    ]  # fmt: skip
    resource = {"attributes": [{"key": "service.name", "value": {"stringValue": "scale-drill"}}]}
    return trace_id, {"resourceSpans": [{"resource": resource, "scopeSpans": [{"spans": spans}]}]}


class SpanTraffic(Paced):
    """`rate` traces a second, the kinds in turn; keeps the ids (and send times) of the traces
    the edge collector accepted, by kind; `failed`: why the others were not."""

    def __init__(self, collector: str, rate: float, slow_ms: int):
        super().__init__("scale-drill-traffic", rate)
        self._url, self._slow_ms, self._sent = f"{collector}/v1/traces", slow_ms, 0
        self.accepted: dict[str, list[dict]] = {kind: [] for kind in KINDS}

    def send(self) -> str | None:
        kind = KINDS[self._sent % len(KINDS)]
        self._sent += 1
        trace_id, body = trace(kind, self._slow_ms)
        sent_at = time.monotonic()
        response = requests.post(self._url, json=body, timeout=5)
        if response.status_code != 200:
            return f"HTTP {response.status_code}"
        self.accepted[kind].append({"otel_trace_id": trace_id, "sent_at": sent_at})
        return None


def restart(lab: ScaleLab, phase: str, down_seconds: float, say: Callable[[str], None]) -> tuple[float, float]:
    """Stop, wait, start: a compose service, or one replica of one (its container)."""
    if phase.rsplit("-", 1)[-1].isdigit():
        container = f"{lab.project}-{phase}"
        stopping = time.monotonic()
        subprocess.run(["docker", "stop", "--time", "30", container], check=True, capture_output=True)
        say(f"    {phase}: stopped in {time.monotonic() - stopping:.1f} s, down for {down_seconds:g} s")
        time.sleep(down_seconds)
        subprocess.run(["docker", "start", container], check=True, capture_output=True)
        say(f"    {phase}: started")
        return stopping, time.monotonic()
    return restart_service(lab.compose, phase, down_seconds, say)


def parse_seconds(duration: str) -> float:
    """A Go duration as .env writes them ("5s", "500ms", "1m") in seconds."""
    for unit, factor in (("ms", 0.001), ("s", 1), ("m", 60)):
        if duration.endswith(unit) and duration[: -len(unit)].replace(".", "", 1).isdigit():
            return float(duration[: -len(unit)]) * factor
    raise ValueError(f"not a duration: {duration!r} (write 5s, 500ms or 1m)")


def consumer_group(lab: ScaleLab) -> list[dict]:
    """The ingesters' consumer group as Kafka's own tool describes it: one row per partition,
    with the consumer reading it and its lag."""
    result = subprocess.run(
        [*lab.compose.compose, "exec", "-T", "kafka", "kafka-consumer-groups.sh", "--bootstrap-server",
         "localhost:9092", "--describe", "--group", "jaeger-ingester"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"kafka-consumer-groups.sh failed: {result.stderr[-2000:]}")
    rows = [line.split() for line in result.stdout.splitlines() if line.startswith("jaeger-ingester ")]
    return [{"partition": row[2], "end": row[4], "lag": row[5], "consumer": row[6]} for row in rows if len(row) >= 7]


# Offsets are committed every second, so under traffic a partition that keeps up still shows a
# few messages (a message is a batch of spans) not yet committed.
CAUGHT_UP_LAG = 20


def _caught_up(row: dict) -> bool:
    # Lag "-": nothing committed yet, which is no backlog only while the partition is empty.
    if row["lag"] == "-":
        return row["end"] == "0"
    return int(row["lag"]) <= CAUGHT_UP_LAG


def settled(lab: ScaleLab, ingesters: int, timeout: float = 120, say=print) -> list[dict]:
    """The consumer group once every ingester holds partitions and none is behind (an ingester
    just started takes some seconds to join; a backlog takes some to drain); raises if that does
    not happen in `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            rows = consumer_group(lab)
        except RuntimeError as error:  # the group's coordinator may still be starting
            rows = []
            say(f"    ({error})")
        consumers = {row["consumer"] for row in rows if row["consumer"] != "-"}
        caught_up = all(_caught_up(row) for row in rows)
        if rows and len(consumers) == ingesters and caught_up:
            return rows
        if time.monotonic() > deadline:
            raise RuntimeError(f"the ingesters' consumer group did not settle in {timeout:g} s: {rows}")
        say(f"    waiting for the ingesters' group to settle ({len(consumers)} of {ingesters} reading)")
        time.sleep(3)


def settle(lab: ScaleLab, accepted: dict[str, list[dict]], timeout: float, say) -> dict[str, set[str]]:
    """{kind: ids Jaeger does not answer for}, polled until every promised trace is there (a
    backlog in Kafka drains, the last decisions wait SAMPLING_DECISION_WAIT) or `timeout`."""
    wanted = {kind: [t["otel_trace_id"] for t in accepted[kind]] for kind in KINDS}
    deadline = time.monotonic() + timeout
    while True:
        try:
            missing = {kind: set(ids) - in_jaeger(lab.jaeger, ids) for kind, ids in wanted.items()}
            if not any(missing[kind] for kind in PROMISED) or time.monotonic() > deadline:
                return missing
            say("    waiting for " + ", ".join(f"{kind}: {len(missing[kind])}" for kind in PROMISED if missing[kind]))
        except (requests.RequestException, ValueError) as error:
            if time.monotonic() > deadline:
                raise
            say(f"    (Jaeger did not answer: {error!r}; asking again)")
        time.sleep(5)


def lost_during(sent: list[dict], missing: set[str], windows: dict[str, tuple[float, float]]) -> dict[str, int]:
    """How many of the missing traces were sent in each part's window, or at another time. Where
    windows overlap, the later part's: a trace waiting for its decision when an ingester stops is
    lost to that stop, whatever happened before."""
    counts: dict[str, int] = {}
    for trace in sent:
        if trace["otel_trace_id"] in missing:
            inside = [phase for phase, (start, end) in windows.items() if start <= trace["sent_at"] <= end]
            phase = inside[-1] if inside else "another time"
            counts[phase] = counts.get(phase, 0) + 1
    return counts


def drill(lab: ScaleLab, phases, down_seconds: float, rate: float, settle_timeout: float, say=print) -> dict:
    """The whole drill; returns {"accepted": {kind: n}, "refused": [...], "missing": {kind: ids},
    "lost_during": {kind: {phase: n}}}."""
    # A drill starts from a steady lab: every ingester reading, no backlog.
    settled(lab, int(lab_env.setting("JAEGER_INGESTERS")), say=say)
    traffic = SpanTraffic(lab.collector, rate, int(lab_env.setting("SAMPLING_SLOW_MS")))
    traffic.start()
    # A trace is decided SAMPLING_DECISION_WAIT after it reaches an ingester: one sent that long
    # before a stop was still waiting there, so it counts as sent while that part was away. So
    # that each part's window is its own, the next restart waits until the ingesters have read
    # the backlog the last one left and decided it.
    wait = parse_seconds(lab_env.setting("SAMPLING_DECISION_WAIT"))
    ingesters = int(lab_env.setting("JAEGER_INGESTERS"))
    windows = {}
    try:
        time.sleep(max(down_seconds, wait + 1))
        for phase in phases:
            windows[phase] = restart(lab, phase, down_seconds, say)
            settled(lab, ingesters, timeout=300, say=say)
            time.sleep(max(down_seconds, wait + 2))
    finally:
        traffic.stop()
    # A second of grace after a part is back: spans sent just before were on their way.
    windows = {phase: (start - wait, back + 1) for phase, (start, back) in windows.items()}
    counts = {kind: len(ids) for kind, ids in traffic.accepted.items()}
    say(f"    accepted {counts}, refused {len(traffic.failed)}; asking Jaeger for each")
    missing = settle(lab, traffic.accepted, settle_timeout, say)
    return {
        "accepted": counts,
        "refused": traffic.failed,
        "missing": missing,
        "lost_during": {kind: lost_during(traffic.accepted[kind], missing[kind], windows) for kind in PROMISED},
    }


def decision_window(rate: float) -> int:
    """At most how many traces of one kind a stopped ingester can have been holding for a
    decision: those sent in the SAMPLING_DECISION_WAIT before the stop (and a second of batching
    on the way), if every partition were its own."""
    wait = parse_seconds(lab_env.setting("SAMPLING_DECISION_WAIT"))
    return int((wait + 1) * rate / len(KINDS)) + 1


def unexpected_losses(result: dict, rate: float) -> dict[str, dict[str, int]]:
    """{kind: {phase: n}} of the error and slow traces lost beyond what the design allows: none
    at all for Kafka and OpenSearch, and for the ingester at most its decision window
    (tail sampling in Jaeger 2.12 drops the traces it holds when it stops; README)."""
    allowed = {INGESTER: decision_window(rate)}
    unexpected = {}
    for kind in PROMISED:
        over = {phase: n for phase, n in result["lost_during"][kind].items() if n > allowed.get(phase, 0)}
        if over:
            unexpected[kind] = over
    return unexpected


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--down-seconds", type=float, default=10, help="how long each part stays down")
    parser.add_argument("--rate", type=float, default=6, help="traces per second")
    parser.add_argument("--phases", default=",".join(PHASES), help="what to restart, in order (comma-separated)")
    args = parser.parse_args()
    phases = args.phases.split(",")
    setting = lab_env.setting
    lab = ScaleLab(
        collector=f"http://127.0.0.1:{setting('OTLP_HTTP_PORT')}",
        jaeger=f"http://127.0.0.1:{setting('JAEGER_UI_PORT')}",
        compose=ComposeLab("", "", "", "", compose=[*SCALE_COMPOSE]),
        project=setting("COMPOSE_PROJECT_NAME"),
    )
    try:
        requests.get(f"http://127.0.0.1:{setting('OPENSEARCH_PORT')}", timeout=5).raise_for_status()
    except requests.RequestException as error:
        print(f"The scale profile's OpenSearch does not answer ({error}). Start it: make up SCALE=1", file=sys.stderr)
        return 2
    print(f"==> Scale drill: {args.rate:g} traces/s; {', '.join(phases)} down {args.down_seconds:g} s each")
    result = drill(lab, phases, args.down_seconds, args.rate, settle_timeout=300)
    print(f"\n{'kind':<10} {'sent':>6} {'in Jaeger':>10} {'missing':>8}  missing, sent while away")
    for kind in KINDS:
        sent, missing = result["accepted"][kind], len(result["missing"][kind])
        away = ", ".join(f"{phase} {n}" for phase, n in result["lost_during"].get(kind, {}).items())
        print(f"{kind:<10} {sent:>6} {sent - missing:>10} {missing:>8}  {away}")
    ordinary = result["accepted"]["ordinary"]
    kept = ordinary - len(result["missing"]["ordinary"])
    print(f"\nordinary traces kept: {kept} of {ordinary} (SAMPLING_PERCENT={setting('SAMPLING_PERCENT')})")
    print(f"refused by the edge collector: {len(result['refused'])}")
    lost = sum(len(result["missing"][kind]) for kind in PROMISED)
    held = sum(result["lost_during"][kind].get(INGESTER, 0) for kind in PROMISED)
    unexpected = unexpected_losses(result, args.rate)
    if lost == 0:
        print("every error and slow trace is in Jaeger")
    elif not unexpected:
        print(
            f"{held} error or slow traces lost with the stopped ingester's undecided traces (at most "
            f"{decision_window(args.rate)} of each kind by design, README); nothing else lost"
        )
    else:
        print(f"LOST beyond what the design allows: {unexpected}")
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
