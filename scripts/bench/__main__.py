"""`make bench` (python -m bench, from scripts/): the lab measured in one run on this machine.

In order: start and stop times; memory at idle; freshness (request -> visible in each backend);
instrumentation overhead under wrk, every path off then on (memory sampled under load); where
that overhead goes (each path's CPU cost per request, in-process); telemetry capacity under
telemetrygen; then the scale profile (make up SCALE=1: start, memory, freshness in Jaeger, the
Kafka tier's intake and OpenSearch's indexing, scripts/bench/scale.py) and the two profiles side
by side. Prints one table and writes it, with the raw figures, to
reports/bench/<time>.{md,json} (and latest.{md,json}).

It runs its own copy of the lab, the compose project "obslab-bench" with fresh volumes, deleted
at the end: figures do not depend on what the lab has stored so far, and the synthetic load never
reaches your traces. Your lab is stopped meanwhile (the ports are the same) and started again
afterwards if it was up.

    make bench              # the full run, about 13 minutes
    make bench QUICK=1      # shorter loads and fewer steps, about 5 minutes (rougher figures)
"""

import argparse
import os
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import footprint

from . import capacity, freshness, lab, overhead, report, request_cost, scale, start, tools
from .report import Section, percentile

# The targets this lab holds itself to (issue 11), on a 2-core machine with the load tool beside it.
TARGETS = {
    "make up": 20.0,  # seconds, warm
    "idle RSS": 800,  # MiB, the whole lab
    "overhead ratio": 0.85,  # instrumented / uninstrumented throughput
    "Jaeger capacity": 10_000,  # spans/s, none lost
    "scale intake": 20_000,  # spans/s into the Kafka tier, none lost (issue 21)
    "freshness p95": {  # seconds
        "Jaeger": 1.5,
        "X-Ray (OpenTelemetry path)": 3.0,
        "X-Ray (X-Ray SDK path)": 3.0,
        "CloudWatch Logs": 5.0,
        "console": 5.0,
    },
}
FULL = {
    "cost_requests": 2000,
    "overhead_seconds": 10,
    "overhead_rounds": 2,
    "freshness_requests": 20,
    "rates": [1000, 2500, 5000, 10000, 15000, 20000],
    "step_seconds": 10,
    "scale_rates": [5000, 10000, 20000, 40000],
    "scale_seconds": 10,
}
QUICK = {
    "cost_requests": 500,
    "overhead_seconds": 5,
    "overhead_rounds": 1,
    "freshness_requests": 8,
    "rates": [2000, 10000],
    "step_seconds": 5,
    "scale_rates": [10000, 20000],
    "scale_seconds": 5,
}
SECTIONS = ("start", "footprint", "freshness", "overhead", "paths", "capacity", "scale")


MIB = footprint.MIB


def _mib(size: int) -> str:
    return f"{size / MIB:,.0f} MiB"


def start_section(times: dict[str, float]) -> Section:
    section = Section(
        "Start and stop",
        "`make up` (until `docker compose up --wait` sees every service healthy) "
        "and `make down`, timed with the images built and the volumes kept",
    )
    up = times["make up"]
    section.add("make up, warm, to healthy", f"{up:.1f} s", f"≤ {TARGETS['make up']:.0f} s", up <= TARGETS["make up"])
    section.add("make down", f"{times['make down']:.1f} s")
    return section


def footprint_section(idle: dict[str, int], loaded: dict[str, int], images: dict[str, int]) -> Section:
    section = Section(
        "Footprint",
        "RSS: VmRSS of every process of each container (/proc), idle 20 s after "
        "`make up`, and in the middle of the GET home run of the overhead section; image sizes: "
        "`docker image inspect`",
    )
    total = sum(idle.values())
    section.add("idle RSS, whole lab", _mib(total), f"≤ {TARGETS['idle RSS']} MiB", total <= TARGETS["idle RSS"] * MIB)
    for service, size in idle.items():
        section.add(f"idle RSS, {service}", _mib(size))
    if loaded:
        section.add("RSS under load, whole lab", _mib(sum(loaded.values())))
        for service, size in loaded.items():
            section.add(f"RSS under load, {service}", _mib(size))
    section.add("images, total", _mib(sum(images.values())))
    for image, size in images.items():
        section.add(f"image {image}", _mib(size))
    return section


def freshness_section(seen: dict[str, list[float | None]]) -> Section:
    section = Section(
        "Freshness",
        f"GET {freshness.PATH} with known trace ids, one every 0.5 s; each backend polled "
        f"every {freshness.POLL_SECONDS} s until the request shows (scripts/bench/freshness.py)",
    )
    for backend, times in seen.items():
        found = [t for t in times if t is not None]
        missing = len(times) - len(found)
        target = TARGETS["freshness p95"].get(backend)
        if not found:
            section.add(
                f"{backend}, p50 / p95",
                f"none seen in {freshness.TIMEOUT_SECONDS} s",
                f"≤ {target} s" if target else "",
                False if target else None,
            )
            continue
        p95 = percentile(found, 95) if not missing else float("inf")
        value = f"{percentile(found, 50):.2f} / {percentile(found, 95):.2f} s" + (
            f" ({missing} missing)" if missing else ""
        )
        section.add(
            f"{backend}, p50 / p95", value, f"p95 ≤ {target} s" if target else "", p95 <= target if target else None
        )
    return section


def overhead_section(results: dict, seconds: int, rounds: int) -> Section:
    section = Section(
        "Instrumentation overhead",
        f"`wrk -t1 -c{overhead.CONNECTIONS} -d{seconds}s --latency` per endpoint "
        "against backend-flask, every path on (as configured) and all off (OTEL_SDK_DISABLED=true, "
        "OTEL_METRICS_EXPORTER=none, AWS_XRAY_SDK_ENABLED=false, CLOUDWATCH_LOGS_ENABLED=false), "
        f"{rounds} round(s) alternating the two; throughput over all rounds, latency the rounds' median; "
        "CPU per request from the two Flask containers' cgroups",
    )
    for endpoint, modes in results.items():
        on, off = overhead.combined(modes["on"]), overhead.combined(modes["off"])
        ratio = on.rps / off.rps if off.rps else 0.0
        per_round = overhead.round_ratios(modes)
        spread = f" (rounds {min(per_round):.2f}–{max(per_round):.2f})" if len(per_round) > 1 else ""
        target = TARGETS["overhead ratio"]
        section.add(f"{endpoint}: throughput on / off", f"{on.rps:.0f} / {off.rps:.0f} req/s")
        section.add(f"{endpoint}: ratio", f"{ratio:.2f}{spread}", f"≥ {target}", ratio >= target)
        section.add(f"{endpoint}: p50 on / off", f"{on.p50_ms:.1f} / {off.p50_ms:.1f} ms")
        section.add(f"{endpoint}: p99 on / off", f"{on.p99_ms:.1f} / {off.p99_ms:.1f} ms")
        section.add(
            f"{endpoint}: CPU per request on / off", f"{on.cpu_us_per_request:.0f} / {off.cpu_us_per_request:.0f} µs"
        )
        if on.errors or off.errors:
            section.add(f"{endpoint}: errors on / off", f"{on.errors} / {off.errors}", "0", False)
    return section


def paths_section(costs: dict[str, float], requests: int) -> Section:
    section = Section(
        "Where the overhead goes",
        f"GET {request_cost.PATH} called {requests} times a round through WSGI in the backend-flask image, "
        "without gunicorn, once per configuration of the paths; the process's CPU time per request, "
        "mean of 6 rounds (scripts/bench/request_cost.py, app_loop.py); about ±10% from run to run",
    )
    everything = costs["every path on"]
    for name, cost in costs.items():
        saved = everything - cost
        note = "" if name in ("every path on", "every path off") else f" (the path costs {max(saved, 0):.0f} µs)"
        section.add(name, f"{cost:.0f} µs{note}")
    return section


def capacity_section(steps: list[capacity.Step]) -> Section:
    section = Section(
        "Telemetry capacity",
        f"telemetrygen traces ({capacity.WORKERS} workers, a parent and a child span "
        "per trace) into the collector at stepped rates; spans counted in each store or by each "
        "component's own metrics once the counters settle (scripts/bench/capacity.py)",
    )
    for path in capacity.PATHS:
        best = capacity.capacity(steps, path)
        value = f"{best:,} spans/s" if best is not None else "lost spans at every step"
        if path == "Jaeger":
            target = TARGETS["Jaeger capacity"]
            section.add(
                "collector → Jaeger, none lost", value, f"≥ {target:,} spans/s", best is not None and best >= target
            )
        else:
            section.add(f"{'collector intake' if path == 'collector' else 'collector → ' + path}, none lost", value)
    for step in steps:
        lost = ", ".join(f"{path} {step.lost(path):,}" for path in capacity.PATHS)
        section.add(f"step {step.rate:,}/s asked", f"{step.achieved_rate:,.0f}/s sent", "")
        section.add(f"step {step.rate:,}/s lost", lost)
    return section


def _p50_p95(times: list[float | None]) -> str:
    found = [t for t in times if t is not None]
    if not found:
        return "none seen"
    missing = len(times) - len(found)
    return f"{percentile(found, 50):.2f} / {percentile(found, 95):.2f} s" + (f" ({missing} missing)" if missing else "")


def scale_section(raw: dict) -> Section:
    section = Section(
        "Scale profile",
        "make up SCALE=1 with SAMPLING_PERCENT=100 (every span indexed); telemetrygen "
        f"({scale.WORKERS} workers, two spans a trace) straight into Jaeger's collector role at stepped "
        "rates; intake: accepted spans all produced to Kafka, none refused (the role's own metrics); "
        "indexing: OpenSearch's span count polled every second until it holds the step's spans "
        "(scripts/bench/scale.py)",
    )
    section.add("make up SCALE=1, warm, to healthy", f"{raw['start']['make up SCALE=1']:.1f} s")
    section.add("make down (scale profile)", f"{raw['start']['make down']:.1f} s")
    section.add("idle RSS, whole lab", _mib(sum(raw["idle_rss"].values())))
    for name, size in raw["idle_rss"].items():
        section.add(f"idle RSS, {name}", _mib(size))
    section.add("request → visible in Jaeger, p50 / p95", _p50_p95(raw["freshness"]))
    steps = [scale.Burst(**step) for step in raw["capacity"]]
    lossless = [step.intake_rate for step in steps if step.lossless_intake]
    best = max(lossless, default=None)
    target = TARGETS["scale intake"]
    section.add(
        "intake into Kafka, none lost",
        f"{best:,.0f} spans/s" if best else "lost spans at every step",
        f"≥ {target:,} spans/s",
        best is not None and best >= target,
    )
    for step in steps:
        rate = f"{step.indexing_rate:,.0f} spans/s" if step.indexing_rate else "did not finish"
        drain = f"{step.drain_seconds:.0f} s" if step.drain_seconds is not None else f"> {scale.DRAIN_TIMEOUT} s"
        section.add(
            f"step {step.rate:,}/s asked",
            f"accepted {step.intake_rate:,.0f}/s ({step.accepted:,}), refused {step.refused:,}, "
            f"to Kafka {step.to_kafka:,}; indexed at {rate}; backlog drained {drain} after the load",
        )
    return section


def side_by_side_section(raw: dict) -> Section:
    """The figures both profiles have, in one place."""
    section = Section("Laptop and scale profiles side by side", "the same run's figures")
    laptop, scaled = raw, raw["scale"]

    def add(figure: str, laptop_value: str, scale_value: str) -> None:
        section.add(figure, f"laptop {laptop_value}; scale {scale_value}")

    if "start" in laptop:
        add("make up, warm", f"{laptop['start']['make up']:.1f} s", f"{scaled['start']['make up SCALE=1']:.1f} s")
    if "idle_rss" in laptop:
        add("idle RSS, whole lab", _mib(sum(laptop["idle_rss"].values())), _mib(sum(scaled["idle_rss"].values())))
    if "freshness" in laptop:
        jaeger = (_p50_p95(laptop["freshness"]["Jaeger"]), _p50_p95(scaled["freshness"]))
        add("request → visible in Jaeger, p50 / p95", *jaeger)
    if "capacity" in laptop:
        best_laptop = capacity.capacity([capacity.Step(**step) for step in laptop["capacity"]], "Jaeger")
        bursts = [scale.Burst(**step) for step in scaled["capacity"]]
        best_scale = max((b.intake_rate for b in bursts if b.lossless_intake), default=0)
        add(
            "spans/s into Jaeger's path, none lost",
            f"{best_laptop or 0:,} (collector → Badger)",
            f"{best_scale:,.0f} (collector role → Kafka)",
        )
    return section


def measure_scale(telemetrygen: Path, settings: dict, log: Path) -> dict:
    """The scale profile's figures (raw); leaves the scale profile running."""
    raw: dict = {"start": scale.start(log)}
    time.sleep(20)
    raw["idle_rss"] = scale.idle_rss()
    raw["freshness"] = scale.jaeger_freshness(settings["freshness_requests"])
    steps = scale.capacity(telemetrygen, settings["scale_rates"], settings["scale_seconds"], log)
    raw["capacity"] = [asdict(step) for step in steps]
    return raw


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="make bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="shorter loads, fewer steps")
    parser.add_argument(
        "--skip", action="append", default=[], choices=SECTIONS, help="leave a section out (repeatable)"
    )
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    users_lab = lab.project()
    users_lab_was_up = bool(lab.running_services())
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    folder = lab.ROOT / "reports" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / f"{stamp}.log"
    print(
        f"==> Lab benchmark ({'quick' if args.quick else 'full'}); tool output in {log.relative_to(lab.ROOT)}",
        flush=True,
    )
    wrk = tools.wrk() if "overhead" not in args.skip else ""
    telemetrygen = tools.telemetrygen() if {"capacity", "scale"} - set(args.skip) else None
    if users_lab_was_up:
        print(f"==> Stopping your lab ({users_lab}; its data is kept) to free the ports", flush=True)
        lab.run(["make", "down"], log=log)
    os.environ["COMPOSE_PROJECT_NAME"] = lab.BENCH_PROJECT
    try:
        return _run(args, settings, stamp, folder, log, wrk, telemetrygen)
    finally:
        print(f"==> Deleting the benchmark's lab ({lab.BENCH_PROJECT}) and its volumes", flush=True)
        lab.run([*scale.COMPOSE, "--profile", "*", "down", "--volumes", "--remove-orphans"], log=log)
        os.environ["COMPOSE_PROJECT_NAME"] = users_lab
        if users_lab_was_up:
            print(f"==> Starting your lab ({users_lab}) again", flush=True)
            lab.run(["make", "up"], log=log)


def _run(args, settings: dict, stamp: str, folder: Path, log: Path, wrk: str, telemetrygen: Path | None) -> int:
    sections: list[Section] = []
    raw: dict = {"settings": settings}
    began = time.monotonic()

    def step(name: str, title: str) -> bool:
        if name in args.skip:
            return False
        print(f"==> {title} ({time.monotonic() - began:.0f} s in)", flush=True)
        return True

    if step("start", "Start and stop: make down, make up"):
        times = start.measure(log)
        raw["start"] = times
        sections.append(start_section(times))
    elif not lab.running_services():
        lab.run(["make", "up"], log=log)
    loaded: dict[str, int] = {}
    if step("footprint", "Footprint at idle"):
        time.sleep(20)
        raw["idle_rss"] = idle = footprint.rss_by_service(lab.project())
    if step("freshness", f"Freshness: {settings['freshness_requests']} requests"):
        seen = freshness.measure(settings["freshness_requests"])
        raw["freshness"] = seen
        sections.append(freshness_section(seen))
    if step("overhead", "Instrumentation overhead: wrk, rounds of every path off, then on"):
        results = overhead.measure(
            wrk,
            settings["overhead_seconds"],
            settings["overhead_rounds"],
            log,
            during_load=lambda: loaded.update(footprint.rss_by_service(lab.project())),
        )
        raw["overhead"] = {
            endpoint: {mode: [asdict(r) for r in runs] for mode, runs in modes.items()}
            for endpoint, modes in results.items()
        }
        sections.append(overhead_section(results, settings["overhead_seconds"], settings["overhead_rounds"]))
    if step("paths", "Where the overhead goes: the app in-process, per path"):
        costs = request_cost.measure(request_cost.PATH, settings["cost_requests"], log)
        raw["request_cost_us"] = costs
        sections.append(paths_section(costs, settings["cost_requests"]))
    if "footprint" not in args.skip:
        raw["loaded_rss"] = loaded
        raw["images"] = images = lab.image_sizes()
        sections.insert(1 if "start" not in args.skip else 0, footprint_section(idle, loaded, images))
    if step("capacity", f"Telemetry capacity: telemetrygen at {', '.join(map(str, settings['rates']))} spans/s"):
        steps = capacity.measure(telemetrygen, settings["rates"], settings["step_seconds"], log)
        raw["capacity"] = [asdict(s) for s in steps]
        sections.append(capacity_section(steps))
    if step("scale", "Scale profile: make up SCALE=1, memory, freshness, Kafka intake, OpenSearch indexing"):
        raw["scale"] = measure_scale(telemetrygen, settings, log)
        sections.append(scale_section(raw["scale"]))
        sections.append(side_by_side_section(raw))

    about = {
        "finished": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": report.machine(),
        "command": "make bench" + (" QUICK=1" if args.quick else ""),
        "duration_seconds": round(time.monotonic() - began),
    }
    print()
    print(report.text(sections, about), end="")
    written = report.write(folder, stamp, sections, about, raw)
    print(f"\nWritten: {', '.join(str(p.relative_to(lab.ROOT)) for p in written)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
