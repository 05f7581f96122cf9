"""A short Locust run (the lab's loadtest/locustfile.py, in compose's "load" profile): every
task gets answers without failures (so no 5xx), and every endpoint it hit has traces in Jaeger."""

import csv
import json
import os
import subprocess
import time

import pytest
import requests

from .lab import ROOT, TEST_ENV, eventually

pytestmark = pytest.mark.integration

# Locust's request name -> the server span's operation name in Jaeger.
ENDPOINTS = {
    ("GET", "/api/activities/home"): "GET /api/activities/home",
    ("GET", "/api/activities/notifications"): "GET /api/activities/notifications",
    ("GET", "/api/activities/@[handle]"): "GET /api/activities/@<handle>",
    ("GET", "/api/activities/search"): "GET /api/activities/search",
    ("GET", "/api/activities/[uuid]"): "GET /api/activities/<uuid:activity_uuid>",
    ("GET", "/api/message_groups"): "GET /api/message_groups",
    ("GET", "/api/messages/@[handle]"): "GET /api/messages/@<handle>",
    ("POST", "/api/activities"): "POST /api/activities",
    ("POST", "/api/activities/[uuid]/reply"): "POST /api/activities/<uuid:activity_uuid>/reply",
    ("POST", "/api/messages"): "POST /api/messages",
}


@pytest.fixture(scope="module")
def locust_stats(lab):
    started = time.time()
    stats_file = ROOT / "reports" / "locust" / f"test-{os.getpid()}.json"
    stats_file.parent.mkdir(parents=True, exist_ok=True)
    try:
        lab.run_compose(
            "--profile",
            "load",
            "run",
            "--rm",
            "--no-deps",
            "--user",
            f"{os.getuid()}:{os.getgid()}",
            "-e",
            "LOCUST_THINK_TIME=0,0.2",
            "locust",
            "--headless",
            "--users",
            "10",
            "--spawn-rate",
            "10",
            "--run-time",
            "20s",
            "--only-summary",
            "--json-file",
            stats_file.stem,
            "--exit-code-on-error",
            "0",
        )
        return started, json.loads(stats_file.read_text())
    finally:
        stats_file.unlink(missing_ok=True)


def _by_name(stats: list[dict]) -> dict[tuple[str, str], dict]:
    return {(entry["method"], entry["name"]): entry for entry in stats}


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=" ".join)
def test_every_endpoint_is_hit(locust_stats, endpoint):
    _, stats = locust_stats
    assert _by_name(stats)[endpoint]["num_requests"] > 0


def test_every_task_ran_without_failures(locust_stats):
    _, stats = locust_stats
    by_name = _by_name(stats)
    invalid = [entry for name, entry in by_name.items() if name[1].startswith("invalid: ")]
    assert invalid and all(entry["num_requests"] > 0 for entry in invalid)
    failures = {name: entry["num_failures"] for name, entry in by_name.items() if entry["num_failures"]}
    assert failures == {}


@pytest.mark.parametrize("operation", ENDPOINTS.values())
def test_every_endpoint_hit_has_traces_in_jaeger(lab, locust_stats, operation):
    started, _ = locust_stats

    def traces():
        response = requests.get(
            f"{lab.jaeger}/api/traces",
            params={
                "service": "backend-flask",
                "operation": operation,
                "limit": 1,
                "start": int(started * 1e6),
                "end": int(time.time() * 1e6),
            },
            timeout=10,
        )
        response.raise_for_status()
        return response.json()["data"]

    eventually(traces, f"traces of {operation} in Jaeger", timeout=30)


def test_make_load_with_workers_runs_a_master_and_its_workers(lab):
    """`make load WORKERS=2`: the master waits for both workers (it gives up after 120 s without
    them), they generate the load, its report counts it, and the workers are removed after."""
    before = set((ROOT / "reports" / "locust").glob("*_stats.csv"))
    env = {**os.environ, **TEST_ENV, "USERS": "4", "SPAWN_RATE": "4", "RUN_TIME": "15s"}
    result = subprocess.run(["make", "load", "WORKERS=2"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    [report] = set((ROOT / "reports" / "locust").glob("*_stats.csv")) - before
    try:
        with report.open() as rows:
            total = next(row for row in csv.DictReader(rows) if row["Name"] == "Aggregated")
        assert int(total["Request Count"]) > 0 and int(total["Failure Count"]) == 0, total
        workers = lab.run_compose("--profile", "load", "ps", "--all", "--quiet", "locust-worker").stdout.split()
        assert workers == []
    finally:
        for path in report.parent.glob(report.name.removesuffix("_stats.csv") + "*"):
            path.unlink()
