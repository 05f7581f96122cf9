"""The running lab as the benchmark sees it: its URLs, compose, and the pipeline's own counters."""

import os
import subprocess
import time
from pathlib import Path

import requests
import yaml

import footprint
import lab_env

ROOT = Path(__file__).resolve().parents[2]

# Environment that switches every instrumentation path off, as the README's switches in .env do.
PATHS_OFF = {
    "OTEL_SDK_DISABLED": "true",
    "OTEL_METRICS_EXPORTER": "none",
    "AWS_XRAY_SDK_ENABLED": "false",
    "CLOUDWATCH_LOGS_ENABLED": "false",
}
APP_SERVICES = ("backend-flask", "users-api")
# The benchmark's own copy of the lab (fresh volumes, deleted afterwards).
BENCH_PROJECT = "obslab-bench"


def url(port_setting: str) -> str:
    return f"http://127.0.0.1:{lab_env.setting(port_setting)}"


BACKEND = url("BACKEND_PORT")
JAEGER = url("JAEGER_UI_PORT")
CONSOLE = url("CONSOLE_PORT")
PROMETHEUS = url("PROMETHEUS_PORT")
LOCALSTACK = url("LOCALSTACK_PORT")
OTLP_GRPC = f"127.0.0.1:{lab_env.setting('OTLP_GRPC_PORT')}"


def project() -> str:
    return lab_env.setting("COMPOSE_PROJECT_NAME")


def run(command: list[str], env: dict | None = None, log: Path | None = None) -> float:
    """Run a command in the project's folder; its duration in seconds. Output goes to `log`."""
    started = time.perf_counter()
    with open(log or os.devnull, "a") as out:
        result = subprocess.run(command, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=out, stderr=out)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed (exit {result.returncode}); see {log or 'its output'}")
    return time.perf_counter() - started


def restart_app(env: dict[str, str], log: Path) -> None:
    """Recreate the two Flask services with these environment overrides, and wait until healthy."""
    run(["docker", "compose", "up", "--detach", "--wait", *APP_SERVICES], env=env, log=log)


def promql(query: str) -> list[dict]:
    response = requests.get(f"{PROMETHEUS}/api/v1/query", params={"query": query}, timeout=10)
    response.raise_for_status()
    return response.json()["data"]["result"]


def pipeline_counters() -> dict[str, float]:
    """The collector's and Jaeger's own span counters, as Prometheus last scraped them:
    "<job>/<metric>/<receiver or exporter>" -> value. Names carry `_total` or not depending on
    the collector version, so both are read."""
    names = "receiver_accepted|receiver_refused|exporter_sent|exporter_send_failed|exporter_enqueue_failed"
    query = f'{{__name__=~"otelcol_({names})_spans(_total)?", job=~"otel-collector-internal|jaeger"}}'
    counters: dict[str, float] = {}
    for series in promql(query):
        labels = series["metric"]
        metric = labels["__name__"].removeprefix("otelcol_").removesuffix("_total").removesuffix("_spans")
        component = labels.get("exporter") or labels.get("receiver", "")
        key = f"{labels['job']}/{metric}/{component}"
        counters[key] = counters.get(key, 0) + float(series["value"][1])
    return counters


def scrape_interval() -> float:
    """Seconds between two Prometheus scrapes, from its config (counters are that old at most)."""
    config = yaml.safe_load((ROOT / "prometheus/config.yaml").read_text())
    return float(config["global"]["scrape_interval"].removesuffix("s"))


def running_services() -> set[str]:
    return set(footprint.containers(project()))


def image_sizes() -> dict[str, int]:
    """Size in bytes of each image the lab's services run (compose's rendered configuration)."""
    images = subprocess.run(
        ["docker", "compose", "config", "--images"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    sizes = {}
    for image in sorted(set(images)):
        inspect = subprocess.run(
            ["docker", "image", "inspect", "-f", "{{.Size}}", image], capture_output=True, text=True
        )
        if inspect.returncode == 0:
            sizes[image] = int(inspect.stdout.strip())
    return sizes
