"""Soak: Locust's Cruddur users against the running lab for a long while, every container's
memory sampled all along. The lab should end with no failed request and flat memory: over the
measured minutes, each container's memory at the end within 10% of what it was at their start.

    python scripts/soak.py [--users 50] [--warmup 10] [--minutes 10]     (make soak)

Runs against the lab `make up` started. Locust runs in compose (profile "load", as `make load`
does) for --warmup then --minutes minutes, with its report in reports/locust/soak-<time>*.
Memory is the resident memory of each container's processes (scripts/footprint.py), every
--every seconds: all samples in soak-<time>_memory.csv, drawn in soak-<time>_memory.svg.
"warm" is the median of the first measured minute, "end" the median of the last one.

Growth is judged on anonymous memory: what the processes allocated. RSS also counts the pages
of storage files mapped into memory (Jaeger's Badger maps its value log and tables), which
grow with the data on disk and which the kernel drops when memory runs short; it is shown too.
The warm-up lets bounded buffers fill first: at 50 users, Jaeger's first 64 MB Badger memtable
fills in about 7 minutes, and the X-Ray daemon's 16 MB buffer pool in about 5.
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
import memory_chart

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ROOT / "reports" / "locust"
GROWTH_LIMIT = 0.10


def start_locust(users: int, minutes: float, report: str) -> subprocess.Popen:
    """Locust in compose for `minutes`, its output in reports/locust/<report>.log."""
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


Samples = list[tuple[float, dict[str, footprint.Memory]]]


def growth(samples: Samples, warmup_s: float, part: str = "rss", window_s: float = 60) -> dict:
    """{service: (warm MiB, end MiB, growth)} of one part of memory (footprint.Memory's field)
    from (elapsed seconds, {service: Memory}) samples."""
    end = samples[-1][0]
    result = {}
    for service in samples[-1][1]:
        warm = [getattr(s[service], part) for t, s in samples if warmup_s <= t < warmup_s + window_s and service in s]
        last = [getattr(s[service], part) for t, s in samples if t >= end - window_s and service in s]
        if warm and last:
            w, e = statistics.median(warm) / footprint.MIB, statistics.median(last) / footprint.MIB
            result[service] = (w, e, e / w - 1)
    return result


def peak_growth(samples: Samples, warmup_s: float, part: str = "anon", window_s: float = 60) -> dict:
    """{service: (peak MiB until the end of warm-up, peak MiB until the end, growth)}: how much
    the high-water mark rose while measured. The mark is that of memory held for half a minute
    or more (the peak of a median over the last `window_s` seconds), so that a momentary spike
    (a garbage collection, a compaction) is not taken for growth. Memory that fills and empties
    in cycles (Badger's memtable, DuckDB's checkpoints) keeps its peak; memory that leaks raises it."""
    result = {}
    for service in samples[-1][1]:
        series = [(t, getattr(s[service], part)) for t, s in samples if service in s]
        held = [(t, statistics.median(v for u, v in series if t - window_s < u <= t)) for t, _ in series]
        warm = [value for t, value in held if t <= warmup_s]
        if warm:
            w, e = max(warm) / footprint.MIB, max(value for _, value in held) / footprint.MIB
            result[service] = (w, e, e / w - 1)
    return result


def print_table(samples: Samples, warmup_s: float) -> dict:
    """Each container's growth: anonymous memory's high-water mark (judged), the median of the
    first and last measured minutes, and RSS's high-water mark. Returns the judged figures."""
    peaks, levels = peak_growth(samples, warmup_s), growth(samples, warmup_s, part="anon")
    rss = peak_growth(samples, warmup_s, part="rss")
    print(f"\n{'':<16} {'anonymous MiB: high-water':^26}   {'median of a minute':^26}   {'RSS high-water':^17}")
    print(f"{'container':<16} {'warm-up':>9} {'end':>8} {'growth':>7}   {'first':>9} {'last':>8} {'change':>7}   "
          f"{'end':>8} {'growth':>7}")  # fmt: skip
    for service, (warm, end, grew) in sorted(peaks.items()):
        first, last, change = levels[service]
        _, rss_end, rss_grew = rss[service]
        over = "  over 10%" if grew >= GROWTH_LIMIT else ""
        print(f"{service:<16} {warm:>9.0f} {end:>8.0f} {grew:>+7.1%}   {first:>9.0f} {last:>8.0f} {change:>+7.1%}   "
              f"{rss_end:>8.0f} {rss_grew:>+7.1%}{over}")  # fmt: skip
    return peaks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--warmup", type=float, default=10, help="minutes of load before memory is measured")
    parser.add_argument("--minutes", type=float, default=10, help="minutes of load measured")
    parser.add_argument("--every", type=float, default=10, help="seconds between memory samples")
    args = parser.parse_args()
    project = lab_env.setting("COMPOSE_PROJECT_NAME")
    if "backend-flask" not in footprint.containers(project):
        print("The lab is not running. Start it first: make up", file=sys.stderr)
        return 2
    REPORTS.mkdir(parents=True, exist_ok=True)
    report = time.strftime("soak-%Y%m%d-%H%M%S")
    print(f"==> Soak: {args.users} users, {args.warmup:g} min of warm-up then {args.minutes:g} min measured; "
          f"memory every {args.every:g} s; Locust report reports/locust/{report}.html", flush=True)  # fmt: skip
    locust = start_locust(args.users, args.warmup + args.minutes, report)
    started, samples = time.monotonic(), []
    while locust.poll() is None:
        elapsed = time.monotonic() - started
        # Locust's own container is not the lab: its memory is not counted.
        samples.append((elapsed, {s: m for s, m in footprint.memory_by_service(project).items() if s != "locust"}))
        if len(samples) % 6 == 1:
            total = sum(m.anon for m in samples[-1][1].values()) / footprint.MIB
            phase = "warm-up" if elapsed < args.warmup * 60 else "measured"
            print(f"    {elapsed / 60:4.1f} min ({phase}): lab anonymous memory {total:,.0f} MiB", flush=True)
        time.sleep(args.every)
    requests_made, failures = locust_totals(report)
    memory_chart.write_samples(samples, REPORTS / f"{report}_memory.csv")
    warmup_s = args.warmup * 60
    memory_chart.write(samples, warmup_s, REPORTS / f"{report}_memory.svg")
    peaks = print_table(samples, warmup_s)
    print(f"\n{requests_made:,} requests, {failures} failed (Locust exit {locust.returncode})")
    print(f"Memory over time: reports/locust/{report}_memory.svg")
    flat = all(grew < GROWTH_LIMIT for _, _, grew in peaks.values())
    print("memory flat, no failure" if flat and failures == 0 else "NOT MET: see above")
    return 0 if flat and failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
