"""Soak: Locust's Cruddur users against the running lab for a long while, every container's
memory sampled all along. The lab should end with no failed request and flat memory: each
container's RSS at the end within 10% of what it was once warmed up.

    python scripts/soak.py [--users 50] [--minutes 10] [--warmup 2]     (make soak)

Runs against the lab `make up` started. Locust runs in compose (profile "load", as `make load`
does), with its report in reports/locust/soak-<time>*. Memory is the resident memory of each
container's processes (scripts/footprint.py), every --every seconds; "warm" is the median of
the first minute after --warmup minutes, "end" the median of the last minute.
"""

import argparse
import csv
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import footprint
import lab_env

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ROOT / "reports" / "locust"
GROWTH_LIMIT = 0.10


def start_locust(users: int, minutes: float, report: str) -> subprocess.Popen:
    command = [
        "docker", "compose", "--profile", "load", "run", "--rm", "--user", f"{os.getuid()}:{os.getgid()}",
        "locust", "--headless", "--users", str(users), "--spawn-rate", str(max(1, users // 10)),
        "--run-time", f"{int(minutes * 60)}s", "--csv", report, "--html", f"{report}.html", "--only-summary",
    ]  # fmt: skip
    log = open(REPORTS / f"{report}.log", "w")  # noqa: SIM115 (open while Locust runs)
    return subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)


def locust_totals(report: str) -> tuple[int, int]:
    """(requests, failures) from the Aggregated row of Locust's statistics."""
    with open(REPORTS / f"{report}_stats.csv") as file:
        [total] = [row for row in csv.DictReader(file) if row["Name"] == "Aggregated"]
    return int(total["Request Count"]), int(total["Failure Count"])


def growth(samples: list[tuple[float, dict[str, int]]], warmup_s: float, window_s: float = 60) -> dict:
    """{service: (warm MiB, end MiB, growth)} from (elapsed seconds, {service: RSS bytes}) samples."""
    end = samples[-1][0]
    result = {}
    for service in samples[-1][1]:
        warm = [s[service] for t, s in samples if warmup_s <= t < warmup_s + window_s and service in s]
        last = [s[service] for t, s in samples if t >= end - window_s and service in s]
        if warm and last:
            w, e = statistics.median(warm) / footprint.MIB, statistics.median(last) / footprint.MIB
            result[service] = (w, e, e / w - 1)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=2, help="minutes before memory counts")
    parser.add_argument("--every", type=float, default=10, help="seconds between memory samples")
    args = parser.parse_args()
    project = lab_env.setting("COMPOSE_PROJECT_NAME")
    if "backend-flask" not in footprint.containers(project):
        print("The lab is not running. Start it first: make up", file=sys.stderr)
        return 2
    REPORTS.mkdir(parents=True, exist_ok=True)
    report = time.strftime("soak-%Y%m%d-%H%M%S")
    print(f"==> Soak: {args.users} users for {args.minutes:g} min; memory every {args.every:g} s "
          f"(warm-up {args.warmup:g} min); Locust report reports/locust/{report}.html", flush=True)  # fmt: skip
    locust, started, samples = start_locust(args.users, args.minutes, report), time.monotonic(), []
    while locust.poll() is None:
        elapsed = time.monotonic() - started
        # Locust's own container is not the lab: its memory is not counted.
        samples.append((elapsed, {s: b for s, b in footprint.rss_by_service(project).items() if s != "locust"}))
        if len(samples) % 6 == 1:
            total = sum(samples[-1][1].values()) / footprint.MIB
            print(f"    {elapsed / 60:4.1f} min: lab RSS {total:,.0f} MiB", flush=True)
        time.sleep(args.every)
    requests_made, failures = locust_totals(report)
    table = growth(samples, args.warmup * 60)
    print(f"\n{'container':<16} {'warm MiB':>9} {'end MiB':>8} {'growth':>7}")
    for service, (warm, end, grew) in sorted(table.items()):
        print(f"{service:<16} {warm:>9.0f} {end:>8.0f} {grew:>+7.1%}{'  over 10%' if grew >= GROWTH_LIMIT else ''}")
    print(f"\n{requests_made:,} requests, {failures} failed (Locust exit {locust.returncode})")
    flat = all(grew < GROWTH_LIMIT for _, _, grew in table.values())
    print("memory flat, no failure" if flat and failures == 0 else "NOT MET: see above")
    return 0 if flat and failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
