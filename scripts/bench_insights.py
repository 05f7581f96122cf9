"""Benchmark of Logs Insights (not a test: it prints figures). The engine our LocalStack plugin
runs (localstack/xray-provider, obslab_insights), in this process, over LINES request lines
shaped like the lab's (1 million by default, in streams of 50,000: the most LocalStack keeps per
stream), spread over a day. Times the Logs page's example queries: the first run, which parses
every line's JSON once (FieldCache keeps them), and the best and median of REPEAT runs after it;
then the memory the parsed lines take.

    .venv/bin/python scripts/bench_insights.py [--lines 1000000] [--repeat 3]
"""

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "localstack" / "xray-provider" / "src"))
sys.path.insert(0, str(ROOT / "services" / "console"))

from obslab_insights import engine  # noqa: E402
from obslab_insights.records import FieldCache  # noqa: E402

from console.insights import EXAMPLES  # noqa: E402

STREAM_SIZE = 50_000
GOAL_SECONDS = 2.0
ROUTES = [("/api/activities/home", 0.4), ("/api/activities/@<handle>", 0.3), ("/api/message_groups", 0.2),
          ("/api/activities/notifications", 0.1)]  # fmt: skip
HANDLES = ["andrewbrown", "garek", "worf", "bayko", "nosuchuser"]  # garek's lookups are 20 times slower


def lines(count: int, seed: int = 7) -> list[list]:
    """Streams of events, as moto keeps them: timestamp, ingestion time, message, id."""
    rng, start = random.Random(seed), int(time.time() * 1000) - 86_400_000
    streams, events = [], []
    for n in range(count):
        route = rng.choices([r for r, _ in ROUTES], [w for _, w in ROUTES])[0]
        service = "users-api" if route.startswith("/api/activities/@") and rng.random() < 0.5 else "backend-flask"
        handle = rng.choice(HANDLES)
        path = route.replace("@<handle>", f"@{handle}")
        status = 404 if handle == "nosuchuser" and "@" in route else 500 if rng.random() < 0.01 else 200
        slower = 20 if handle == "garek" and "@" in route else 1
        line = {"service": service, "method": "GET", "path": path, "route": route, "status": status,
                "duration_ms": round(rng.lognormvariate(1.5, 0.8) * slower, 2),
                "otel_trace_id": f"{rng.getrandbits(128):032x}", "otel_span_id": f"{rng.getrandbits(64):016x}",
                "xray_sampled": rng.random() < 0.05,
                "xray_trace_id": f"1-{rng.getrandbits(32):08x}-{rng.getrandbits(96):024x}"}  # fmt: skip
        timestamp = start + n * 86_400_000 // count
        events.append(SimpleNamespace(timestamp=timestamp, ingestion_time=timestamp + 40, message=json.dumps(line),
                                      event_id=n))  # fmt: skip
        if len(events) == STREAM_SIZE:
            streams.append(events)
            events = []
    if events:
        streams.append(events)
    return streams


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    made = time.perf_counter()
    streams = lines(args.lines)
    sources = [("000000000000:cruddur", f"stream-{i}", ("bench", i), events) for i, events in enumerate(streams)]
    print(f"{args.lines:,} request lines in {len(streams)} streams, made in {time.perf_counter() - made:.1f} s")
    cache = FieldCache(max_cells=args.lines * 20)
    before = rss_mib()
    slowest = 0.0
    print(f"\n{'query':38} {'first run':>10} {'best':>8} {'median':>8} {'rows':>6} {'matched':>10}")
    for example in EXAMPLES:
        times = []
        for _ in range(args.repeat + 1):
            started = time.perf_counter()
            result = engine.run(example["query"], sources, cache=cache)
            times.append(time.perf_counter() - started)
        warm = times[1:]
        slowest = max(slowest, max(warm))
        print(f"{example['name']:38} {times[0]:>9.2f}s {min(warm):>7.2f}s {statistics.median(warm):>7.2f}s "
              f"{len(result.rows):>6} {result.records_matched:>10,}")  # fmt: skip
    events = sum(len(s.events) for s in cache.streams.values())
    print(
        f"\nParsed lines kept: {events:,} events in {cache.size:,} slots, "
        f"{rss_mib() - before:,.0f} MiB more resident memory"
    )
    verdict = "met" if slowest <= GOAL_SECONDS else "NOT met"
    print(
        f"Goal (each example at most {GOAL_SECONDS:g} s once the lines are parsed): {verdict}, slowest {slowest:.2f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
