"""What each instrumentation path costs a request, without the HTTP server around it: app_loop.py
runs in the backend-flask image (`docker compose run`) once per configuration of the paths, and
prints the process's CPU time per request. A path's cost is the difference it makes when off."""

import json
import subprocess
from pathlib import Path

from . import lab

PATH = "/api/activities/home"
# Each configuration switches some paths off, as the switches in .env do.
CONFIGURATIONS = {
    "every path on": {},
    "OpenTelemetry traces off": {"OTEL_TRACES_EXPORTER": "none"},
    "OpenTelemetry metrics off": {"OTEL_METRICS_EXPORTER": "none"},
    "OpenTelemetry off (SDK disabled)": {"OTEL_SDK_DISABLED": "true", "OTEL_METRICS_EXPORTER": "none"},
    "X-Ray SDK off": {"AWS_XRAY_SDK_ENABLED": "false"},
    "CloudWatch Logs off": {"CLOUDWATCH_LOGS_ENABLED": "false"},
    "every path off": lab.PATHS_OFF,
}


def measure(path: str, requests: int, log: Path) -> dict[str, float]:
    """{configuration: CPU µs per request} for one endpoint of backend-flask."""
    results = {}
    for name, env in CONFIGURATIONS.items():
        command = ["docker", "compose", "run", "--rm", "--no-deps", "--quiet-pull",
                   "-v", f"{Path(__file__).with_name('app_loop.py')}:/bench/app_loop.py:ro"]  # fmt: skip
        for key, value in env.items():
            command += ["-e", f"{key}={value}"]
        command += ["backend-flask", "python", "/bench/app_loop.py", path, str(requests)]
        with open(log, "a") as out:
            output = subprocess.run(command, cwd=lab.ROOT, capture_output=True, text=True)
            out.write(output.stderr)
        if output.returncode != 0:
            raise SystemExit(f"measuring '{name}' failed; see {log}")
        results[name] = json.loads(output.stdout.strip().splitlines()[-1])["cpu_us"]
        print(f"      {name:<34} {results[name]:6.0f} µs CPU per request", flush=True)
    return results
