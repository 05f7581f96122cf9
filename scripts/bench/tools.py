"""The load tools, installed on first use: wrk from Debian, telemetrygen from the Go module proxy
(the tagged version .env names), built once into the lab's cache."""

import os
import shutil
import subprocess
from pathlib import Path

import lab_env

from .lab import ROOT

TELEMETRYGEN_MODULE = "github.com/open-telemetry/opentelemetry-collector-contrib/cmd/telemetrygen"


def cache_dir() -> Path:
    # The same cache as scripts/lib.sh: system-wide as root, per user otherwise.
    if os.environ.get("OBSLAB_CACHE"):
        return Path(os.environ["OBSLAB_CACHE"])
    if os.geteuid() == 0:
        return Path("/var/cache/obslab")
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "obslab"


def wrk() -> str:
    subprocess.run([ROOT / "scripts/need-debian-package.sh", "wrk", "wrk"], check=True)
    return shutil.which("wrk") or "wrk"


def telemetrygen() -> Path:
    version = lab_env.setting("TELEMETRYGEN_VERSION")
    binary = cache_dir() / "bin" / f"telemetrygen-{version}"
    if binary.exists():
        return binary
    if not shutil.which("go"):
        raise SystemExit(f"Go is needed to build telemetrygen {version} (go install {TELEMETRYGEN_MODULE}).")
    print(f"    building telemetrygen {version} from the Go module proxy (once; about a minute)", flush=True)
    build = cache_dir() / "gobin-telemetrygen"
    subprocess.run(
        ["go", "install", f"{TELEMETRYGEN_MODULE}@{version}"],
        env={**os.environ, "GOBIN": str(build), "CGO_ENABLED": "0"}, check=True,
    )  # fmt: skip
    binary.parent.mkdir(parents=True, exist_ok=True)
    (build / "telemetrygen").rename(binary)
    return binary
