"""Restart drill: steady traffic of requests with known trace ids while the lab's backends
restart one after the other; afterwards, what each store holds of those requests.

    python scripts/restart_drill.py [--down-seconds 10] [--rate 5]     (make restart-drill)

Runs against the lab `make up` started (ports from .env). Each service in turn is stopped,
left down for --down-seconds, and started again; requests keep coming all along. The lab
promises that none of them is lost in Jaeger, the console, CloudWatch Logs or X-Ray by the
OpenTelemetry path. The X-Ray SDK path goes through the daemon over UDP: what reaches a stopped
daemon is lost, and the drill counts it. tests/integration/test_restarts.py runs the same drill
on a shorter schedule.
"""

import argparse
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests
from botocore.exceptions import BotoCoreError, ClientError
from telemetry_stores import in_console, in_jaeger, logged_otel_trace_ids, xray_tracers

import lab_env
from trace_ids import new_ids
from xray_tree import OPENTELEMETRY, XRAY_SDK

ROOT = Path(__file__).resolve().parents[1]
PATH = "/api/activities/home"
# The order of the drill: every backend the services' telemetry goes through. The daemon last:
# its losses (UDP) are expected, and must not hide another's.
SERVICES = ("jaeger", "otel-collector", "console", "prometheus", "localstack", "xray-daemon")
# The stores that must hold every request. The fifth, X-Ray by the X-Ray SDK's path, may miss
# some (UDP): the drill counts them.
PROMISED = ("Jaeger", "console", "CloudWatch Logs", "X-Ray (OpenTelemetry path)")


@dataclass
class Lab:
    """Where the drill finds the lab: its URLs and the compose command that runs it."""

    backend: str
    jaeger: str
    console: str
    localstack: str
    compose: list[str] = field(default_factory=lambda: ["docker", "compose"])
    compose_env: dict | None = None


class Paced(threading.Thread):
    """Calls `send` `rate` times a second until stopped. `send` makes one request and returns
    why it failed (None when it did not); a request that raised counts as failed too. The two
    drills' traffic (this one's requests, the scale drill's traces) are its subclasses."""

    def __init__(self, name: str, rate: float):
        super().__init__(name=name, daemon=True)
        self._interval = 1 / rate
        self._stopping = threading.Event()
        self.failed: list[str] = []

    def send(self) -> str | None:
        raise NotImplementedError

    def run(self) -> None:
        next_at = time.monotonic()
        while not self._stopping.is_set():
            try:
                failure = self.send()
            except requests.RequestException as error:
                failure = type(error).__name__
            if failure:
                self.failed.append(failure)
            next_at += self._interval
            self._stopping.wait(max(0.0, next_at - time.monotonic()))

    def stop(self) -> None:
        self._stopping.set()
        self.join()


class Traffic(Paced):
    """GET PATH `rate` times a second, each with fresh ids; keeps the ids of answered requests."""

    def __init__(self, backend: str, rate: float):
        super().__init__("drill-traffic", rate)
        self._url = f"{backend}{PATH}"
        self.answered: list[dict] = []

    def send(self) -> str | None:
        ids = {**new_ids(), "sent_at": time.monotonic()}
        response = requests.get(self._url, headers=ids["headers"], timeout=5)
        if response.status_code != 200:
            return f"HTTP {response.status_code}"
        self.answered.append(ids)
        return None


def restart(lab: Lab, service: str, down_seconds: float, say: Callable[[str], None] = print) -> tuple[float, float]:
    """Stop a service, wait, start it again and wait until it is healthy (or running); the
    (monotonic) times the stop began and the service was back."""

    def compose(*args: str) -> None:
        result = subprocess.run([*lab.compose, *args], cwd=ROOT, capture_output=True, text=True, timeout=300,
                                env=lab.compose_env)  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(f"docker compose {' '.join(args)} failed: {result.stderr[-2000:]}")

    stopping = time.monotonic()
    compose("stop", service)
    say(f"    {service}: stopped in {time.monotonic() - stopping:.1f} s, down for {down_seconds:g} s")
    time.sleep(down_seconds)
    starting = time.monotonic()
    compose("up", "--detach", "--wait", "--no-deps", service)
    back = time.monotonic()
    say(f"    {service}: up again in {back - starting:.1f} s")
    return stopping, back


# --- What each store holds, by OpenTelemetry trace id ---


def _in_xray(lab: Lab, ids: list[dict]) -> dict[str, set[str]]:
    """{tracer: otel trace ids with a segment from that tracer}."""
    by_xray_id = {request["xray_trace_id"]: request["otel_trace_id"] for request in ids}
    tracers = xray_tracers(lab_env.aws_client("xray", lab.localstack), by_xray_id)
    return {
        tracer: {by_xray_id[xray_id] for xray_id, sent in tracers.items() if tracer in sent}
        for tracer in (OPENTELEMETRY, XRAY_SDK)
    }


def _in_cloudwatch(lab: Lab, ids: list[dict], since_ms: int) -> set[str]:
    logs = lab_env.aws_client("logs", lab.localstack)
    logged = logged_otel_trace_ids(logs, lab_env.setting("CLOUDWATCH_LOG_GROUP"), since_ms)
    return logged & {request["otel_trace_id"] for request in ids}


def holdings(lab: Lab, ids: list[dict], since_ms: int) -> dict[str, set[str]]:
    """{store: otel trace ids of `ids` it holds}."""
    xray = _in_xray(lab, ids)
    return {
        "Jaeger": in_jaeger(lab.jaeger, [request["otel_trace_id"] for request in ids]),
        "console": in_console(lab.console, [request["otel_trace_id"] for request in ids]),
        "CloudWatch Logs": _in_cloudwatch(lab, ids, since_ms),
        "X-Ray (OpenTelemetry path)": xray[OPENTELEMETRY],
        "X-Ray (X-Ray SDK path)": xray[XRAY_SDK],
    }


def settle(lab: Lab, ids: list[dict], since_ms: int, timeout: float, say: Callable[[str], None] = print) -> dict:
    """{store: ids missing}, polled until the promised stores hold every request (the exporters
    retry with backoff, so the last ones arrive some seconds after the last restart) or until
    `timeout`. The X-Ray SDK path's figure is what it holds by then (UDP: nothing comes later)."""
    wanted = {request["otel_trace_id"] for request in ids}
    deadline, missing = time.monotonic() + timeout, None
    while True:
        try:
            missing = {store: wanted - held for store, held in holdings(lab, ids, since_ms).items()}
            if not any(missing[store] for store in PROMISED) or time.monotonic() > deadline:
                return missing
            say("    waiting for " + ", ".join(f"{s}: {len(missing[s])}" for s in PROMISED if missing[s]))
        except (requests.RequestException, BotoCoreError, ClientError, ValueError) as error:
            if time.monotonic() > deadline:
                raise
            say(f"    (a store did not answer: {error!r}; asking again)")
        time.sleep(5)


def during(requests_sent: list[dict], missing: set[str], windows: dict[str, tuple[float, float]]) -> dict[str, int]:
    """How many of the missing requests were sent while each service was away (from its stop
    to a few seconds after it was back), or at another time."""
    counts = dict.fromkeys([*windows, "another time"], 0)
    for request in requests_sent:
        if request["otel_trace_id"] in missing:
            when = request["sent_at"]
            service = next((s for s, (start, end) in windows.items() if start <= when <= end + 3), "another time")
            counts[service] += 1
    return {service: n for service, n in counts.items() if n}


def drill(lab: Lab, services, down_seconds: float, rate: float, settle_timeout: float, say=print) -> dict:
    """The whole drill; returns {"sent": n, "failed": [...], "missing": {store: ids},
    "lost_during": {store: {service: n}}}."""
    since_ms = int(time.time() * 1000) - 1000
    traffic = Traffic(lab.backend, rate)
    traffic.start()
    windows = {}
    try:
        time.sleep(down_seconds)  # steady traffic before the first restart
        for service in services:
            windows[service] = restart(lab, service, down_seconds, say)
            time.sleep(down_seconds)  # and between restarts
    finally:
        traffic.stop()
    say(f"    {len(traffic.answered)} requests answered, {len(traffic.failed)} failed; counting what each store holds")
    missing = settle(lab, traffic.answered, since_ms, settle_timeout, say)
    return {
        "sent": len(traffic.answered),
        "failed": traffic.failed,
        "missing": missing,
        "lost_during": {store: during(traffic.answered, ids, windows) for store, ids in missing.items() if ids},
    }


def _scale_profile_runs() -> bool:
    command = ["docker", "compose", "-f", "compose.yaml", "-f", "compose.scale.yaml", "ps", "--quiet", "kafka"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    return bool(result.stdout.strip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--down-seconds", type=float, default=10, help="how long each service stays down")
    parser.add_argument("--rate", type=float, default=5, help="requests per second")
    args = parser.parse_args()
    port = lab_env.setting
    lab = Lab(
        backend=f"http://127.0.0.1:{port('BACKEND_PORT')}",
        jaeger=f"http://127.0.0.1:{port('JAEGER_UI_PORT')}",
        console=f"http://127.0.0.1:{port('CONSOLE_PORT')}",
        localstack=f"http://127.0.0.1:{port('LOCALSTACK_PORT')}",
    )
    try:
        requests.get(f"{lab.backend}/health", timeout=5).raise_for_status()
    except requests.RequestException as error:
        print(f"The lab does not answer at {lab.backend} ({error}). Start it first: make up", file=sys.stderr)
        return 2
    if _scale_profile_runs():
        # Restarted with compose.yaml alone, Jaeger and the collector would come back with the
        # laptop's config.
        print("The scale profile runs: its drill is make scale-drill (or make up for this one).", file=sys.stderr)
        return 2
    print(f"==> Restart drill: {args.rate:g} requests/s; {', '.join(SERVICES)} down {args.down_seconds:g} s each")
    result = drill(lab, SERVICES, args.down_seconds, args.rate, settle_timeout=300)
    sent = result["sent"]
    print(f"\n{'store':<28} {'holds':>7} {'lost':>6}  lost while away")
    for store, missing in result["missing"].items():
        away = ", ".join(f"{service} {n}" for service, n in result["lost_during"].get(store, {}).items())
        print(f"{store:<28} {sent - len(missing):>7} {len(missing):>6}  {away}")
    print(f"\n{sent} requests answered during the drill, {len(result['failed'])} not answered")
    lost = sum(len(result["missing"][store]) for store in PROMISED)
    print("every promised store holds every request" if lost == 0 else f"LOST: {lost} in the promised stores")
    return 0 if lost == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
