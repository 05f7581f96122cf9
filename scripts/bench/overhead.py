"""Instrumentation overhead: throughput and latency of the app's endpoints under wrk, with every
instrumentation path on (the lab as configured) and with all of them off, in the same run.

Each endpoint is loaded for the same time with the same connections, in rounds that alternate
the two modes; CPU per request is the time the two Flask containers spent on the CPU (their
cgroups) divided by the requests served."""

import re
import statistics
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import footprint

from . import lab

# (name, path, wrk Lua script or None). POST creates activities: the body is a valid one.
ENDPOINTS = [
    ("GET /api/activities/home", "/api/activities/home", None),
    ("GET /api/activities/@<handle>", "/api/activities/@worf", None),
    ("POST /api/activities", "/api/activities", "post_activity.lua"),
]
POST_ACTIVITY = """wrk.method = "POST"
wrk.body = '{"message": "benchmark", "ttl": "1-day"}'
wrk.headers["Content-Type"] = "application/json"
"""
CONNECTIONS = 8


@dataclass
class LoadResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int  # non-2xx/3xx answers and socket errors
    cpu_us_per_request: float = 0.0


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS_MS[unit]


def parse_wrk(output: str) -> LoadResult:
    """The figures of `wrk --latency` output."""
    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m),", output)
    if not done:
        raise ValueError(f"not wrk --latency output:\n{output}")
    percentiles = dict(re.findall(r"^\s+(50|99)(?:\.0+)?%\s+(\S+)$", output, re.M))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    errors += sum(int(n) for n in sockets.groups()) if sockets else 0
    return LoadResult(
        requests=int(done.group(1)),
        seconds=_ms(done.group(2) + done.group(3)) / 1000,
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        p50_ms=_ms(percentiles["50"]),
        p99_ms=_ms(percentiles["99"]),
        errors=errors,
    )


def load(wrk: str, path: str, script: str | None, seconds: int) -> LoadResult:
    """One wrk run against backend-flask, with the app containers' CPU time over it."""
    ids = footprint.containers(lab.project())
    app_ids = [ids[service] for service in lab.APP_SERVICES]
    with tempfile.TemporaryDirectory() as folder:
        command = [wrk, "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency"]
        if script:
            lua = Path(folder) / script
            lua.write_text(POST_ACTIVITY)
            command += ["-s", str(lua)]
        cpu_before = sum(footprint.cpu_seconds(cid) for cid in app_ids)
        output = subprocess.run([*command, lab.BACKEND + path], capture_output=True, text=True, check=True).stdout
        cpu_after = sum(footprint.cpu_seconds(cid) for cid in app_ids)
    result = parse_wrk(output)
    result.cpu_us_per_request = (cpu_after - cpu_before) / max(result.requests, 1) * 1e6
    return result


Runs = dict[str, dict[str, list[LoadResult]]]  # endpoint -> mode ("off", "on") -> one result per round


def measure(wrk: str, seconds: int, rounds: int, log: Path, during_load=None) -> Runs:
    """{endpoint: {"off": [result per round], "on": [...]}}. Rounds alternate off and on, so that
    the machine's drift (other tenants, the stores filling up) falls on both modes alike.
    `during_load()` is called once, in the middle of the first run with every path on."""
    results: Runs = {name: {"off": [], "on": []} for name, _, _ in ENDPOINTS}
    for round_ in range(1, rounds + 1):
        for mode, env in (("off", lab.PATHS_OFF), ("on", {})):
            print(
                f"    round {round_}/{rounds}, instrumentation {mode}: restarting backend-flask and users-api",
                flush=True,
            )
            lab.restart_app(env, log)
            for name, path, script in ENDPOINTS:
                load(wrk, path, script, 2)  # warm-up: connections, caches, first exports
                sampler = _in_background(during_load, seconds / 2) if mode == "on" and during_load else None
                result = load(wrk, path, script, seconds)
                results[name][mode].append(result)
                if sampler:
                    sampler.join()
                    during_load = None
                print(f"      {name:<32} {_summary(result)}", flush=True)
    return results


def _summary(result: LoadResult) -> str:
    return (
        f"{result.rps:8.1f} req/s  p50 {result.p50_ms:6.1f} ms  p99 {result.p99_ms:6.1f} ms"
        f"  {result.cpu_us_per_request:6.0f} µs CPU/req  errors {result.errors}"
    )


def combined(runs: list[LoadResult]) -> LoadResult:
    """Several runs of one endpoint and mode as one: throughput and CPU from all requests over all
    the time, latency percentiles as the median of the runs', errors summed."""
    requests = sum(run.requests for run in runs)
    seconds = sum(run.seconds for run in runs)
    return LoadResult(
        requests=requests,
        seconds=seconds,
        rps=requests / seconds,
        p50_ms=statistics.median(run.p50_ms for run in runs),
        p99_ms=statistics.median(run.p99_ms for run in runs),
        errors=sum(run.errors for run in runs),
        cpu_us_per_request=sum(run.cpu_us_per_request * run.requests for run in runs) / max(requests, 1),
    )


def round_ratios(modes: dict[str, list[LoadResult]]) -> list[float]:
    """Throughput on / off of each round."""
    return [on.rps / off.rps for on, off in zip(modes["on"], modes["off"], strict=True) if off.rps]


def _in_background(action, delay: float):
    import threading

    thread = threading.Timer(delay, action)
    thread.start()
    return thread
