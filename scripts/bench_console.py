"""Benchmark of the console's span store (not a test: it prints figures).

1. Ingestion over HTTP, as the collector sends: the console runs under gunicorn with its own
   settings on a fresh DuckDB file; OTLP/JSON batches of lab-shaped spans are posted from
   several threads for a while; the rate is spans stored per second, and the store must hold
   every span sent (none lost).
2. The store is then filled to SPANS spans (2 million by default) and the exercise's three
   queries, and one on an attribute, are timed over it (best and median of REPEAT runs).
3. BubbleUp over the same store: the slow band of the lookups' heatmap (one user's lookups are
   twenty times slower) compared with the rest; timed, with the field it ranks first.

    .venv/bin/python scripts/bench_console.py [--spans 2000000] [--seconds 20]
"""

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "services" / "console"))

from console import bubbleup, query  # noqa: E402
from console.query_text import parse  # noqa: E402
from console.store import SpanStore  # noqa: E402

QUERIES = {
    "COUNT by trace.trace_id": "VISUALIZE COUNT GROUP BY trace.trace_id ORDER BY COUNT DESC LIMIT 100 SINCE 48h",
    "HEATMAP(duration_ms)": "VISUALIZE HEATMAP(duration_ms), COUNT SINCE 48h",
    "P90(duration_ms) by name": "VISUALIZE P90(duration_ms), COUNT WHERE service.name = backend-flask GROUP BY name "
    "ORDER BY P90(duration_ms) DESC SINCE 48h",
    # An attribute: a key in the spans' attribute maps, not a column.
    "AVG(app.result_length) by user": "VISUALIZE AVG(app.result_length), COUNT WHERE app.result_length exists "
    "GROUP BY app.user.handle SINCE 48h",
}
# A @<handle> request, as the lab traces it: (service, name, kind, share of the request's time, attributes).
SHAPE = [
    ("backend-flask", "GET /api/activities/@<handle>", 2, 1.0, {"http.route": "/api/activities/@<handle>",
                                                              "http.response.status_code": 200}),
    ("backend-flask", "GET", 3, 0.7, {"http.request.method": "GET"}),
    ("users-api", "GET /users/@<handle>", 2, 0.6, {"http.route": "/users/@<handle>", "http.response.status_code": 200}),
    ("users-api", "users-directory-lookup", 1, 0.05, {"app.user.handle": "worf", "app.user.found": True}),
    ("backend-flask", "user-activities", 1, 0.05, {"app.user.handle": "worf", "app.result_length": 1}),
]  # fmt: skip


def otlp_value(value):
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    return {"stringValue": str(value)}


# Requests are for these users; the first one's lookups are slow (what BubbleUp should find).
USERS = ["garek", "worf", "coco", "bayko", "andrewbrown", "sisko", "kira", "odo"]
# The lookups in users-api's directory: the spans that carry the user's handle.
BUBBLEUP_QUERY = "VISUALIZE HEATMAP(duration_ms) WHERE name = users-directory-lookup SINCE 48h"


def otlp_batch(traces: int, start_ns: int) -> dict:
    by_service: dict[str, list] = {"backend-flask": [], "users-api": []}
    for _ in range(traces):
        handle = random.choice(USERS)
        trace_id, total_ms = os.urandom(16).hex(), random.lognormvariate(1.5, 0.8) * (20 if handle == USERS[0] else 1)
        ids = [os.urandom(8).hex() for _ in SHAPE]
        parents = [None, 0, 1, 2, 0]
        begin = start_ns + random.randint(0, 10**9)
        for i, (service, name, kind, share, attributes) in enumerate(SHAPE):
            if "app.user.handle" in attributes:
                attributes = {**attributes, "app.user.handle": handle}
            span = {"traceId": trace_id, "spanId": ids[i], "name": name, "kind": kind,
                    "startTimeUnixNano": str(begin), "endTimeUnixNano": str(begin + int(total_ms * share * 1e6)),
                    "attributes": [{"key": k, "value": otlp_value(v)} for k, v in attributes.items()]}  # fmt: skip
            if parents[i] is not None:
                span["parentSpanId"] = ids[parents[i]]
            by_service[service].append(span)
    return {"resourceSpans": [
        {"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]},
         "scopeSpans": [{"spans": spans}]}
        for service, spans in by_service.items()
    ]}  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_ingestion(seconds: float, workers: int = 4, traces_per_batch: int = 200) -> tuple[float, int, int]:
    """(spans stored per second, sent, stored) through a console served by gunicorn."""
    port, db = free_port(), tempfile.mktemp(suffix=".duckdb")
    env = {**os.environ, "CONSOLE_DB": db, "PYTHONPATH": str(ROOT / "services" / "console")}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "services/console/gunicorn.conf.py"),
         "--bind", f"127.0.0.1:{port}"], env=env, cwd=ROOT / "services/console",
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{url}/health", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        # Batches made beforehand: the rate is the console's, not this script's JSON encoding.
        bodies = [json.dumps(otlp_batch(traces_per_batch, time.time_ns() - 60 * 10**9)).encode() for _ in range(40)]
        sent, lock, stop = [0], threading.Lock(), time.monotonic() + seconds

        def post():
            while time.monotonic() < stop:
                body = random.choice(bodies)
                request = urllib.request.Request(f"{url}/v1/traces", data=body,
                                                 headers={"Content-Type": "application/json"})  # fmt: skip
                with urllib.request.urlopen(request, timeout=60) as response:
                    assert response.status == 200
                with lock:
                    sent[0] += traces_per_batch * len(SHAPE)

        started = time.monotonic()
        threads = [threading.Thread(target=post) for _ in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        stored = json.load(urllib.request.urlopen(f"{url}/api/fields", timeout=30))["spans"]
        return stored / elapsed, sent[0], stored
    finally:
        server.terminate()
        server.wait(timeout=30)
        for path in (db, db + ".wal"):
            Path(path).unlink(missing_ok=True)


def bulk_fill(store: SpanStore, spans: int) -> float:
    """Fill the store directly (the ingest path without HTTP); spans per second."""
    from console import otlp

    now_ns, started, done = time.time_ns(), time.monotonic(), 0
    while done < spans:
        # Spread over the last 47 hours, as a long-running lab would have them.
        start_ns = now_ns - random.randint(0, 47 * 3600) * 10**9
        rows = list(otlp.rows(otlp_batch(2000, start_ns)))
        store.ingest(rows)
        done += len(rows)
        progress(done, spans)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    return done / (time.monotonic() - started)


def progress(done: int, total: int, width: int = 30) -> None:
    """A bar redrawn in place on a terminal; nothing in a log, where each redraw would be a line."""
    if sys.stderr.isatty():
        filled = min(width, width * done // total)
        bar = "#" * filled + "." * (width - filled)
        print(f"\r  filling the store [{bar}] {done:,} of {total:,} spans", end="", file=sys.stderr, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spans", type=int, default=2_000_000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    print(f"Machine: {os.cpu_count()} cores; DuckDB store; spans shaped like the lab's @<handle> requests")
    rate, sent, stored = http_ingestion(args.seconds)
    print(f"HTTP ingestion (OTLP/JSON, 4 senders, {args.seconds:g} s): {rate:,.0f} spans/s; "
          f"sent {sent:,}, stored {stored:,}, lost {sent - stored:,}")  # fmt: skip

    db = tempfile.mktemp(suffix=".duckdb")
    store = SpanStore(db, retention=timedelta(hours=48), max_spans=args.spans + 100_000)
    try:
        print(f"Filling a store with {args.spans:,} spans ...", file=sys.stderr, flush=True)
        fill_rate = bulk_fill(store, args.spans)
        print(f"Store ingestion (no HTTP): {fill_rate:,.0f} spans/s; {store.count():,} spans stored")
        print(f"Queries over {store.count():,} spans (best / median of {args.repeat}):")
        for label, text in QUERIES.items():
            times = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                query.run(store, parse(text))
                times.append(time.perf_counter() - started)
            print(f"  {label:<28} {min(times):6.3f} s / {statistics.median(times):6.3f} s   ({text})")
        # The lookups' slow band, then the slowest 5% of every span (the whole store, sampled).
        bubbleups = [
            ("BubbleUp (lookups' slow band)", BUBBLEUP_QUERY, "users-directory-lookup"),
            ("BubbleUp (all spans)", "VISUALIZE HEATMAP(duration_ms) SINCE 48h", None),
        ]
        for label, text, name in bubbleups:
            [(p95,)] = store.query("SELECT quantile_cont(duration_ms, 0.95) FROM spans WHERE ? IS NULL OR name = ?",
                                   [name, name])[1]  # fmt: skip
            times, answer = [], None
            for _ in range(args.repeat):
                started = time.perf_counter()
                answer = bubbleup.bubbleup(store, parse(text), {"field": "duration_ms", "range": [p95, 1e9]})
                times.append(time.perf_counter() - started)
            top = answer["fields"][0]
            value = max(top["selection"], key=lambda v: v["fraction"])
            sampled = f", baseline sampled to {answer['baseline_sampled']:,}" if answer["baseline_sampled"] else ""
            ranked = f"{top['field']} = {value['value']} in {value['fraction']:.0%} of the selection"
            print(f"  {label:<28} {min(times):6.3f} s / {statistics.median(times):6.3f} s   (duration_ms >= P95 "
                  f"{p95:.1f} ms: {answer['selected']:,} spans against {answer['baseline']:,}{sampled}; ranked first: "
                  f"{ranked}, score {top['score']})")  # fmt: skip
    finally:
        store.close()
        for path in (db, db + ".wal"):
            Path(path).unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
