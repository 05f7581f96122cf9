"""The project's .env for Python tools (the single source of versions, ports and region)."""

import os
from pathlib import Path

ENV_FILE = Path(__file__).resolve().parents[1] / ".env"


def read() -> dict[str, str]:
    """Every KEY=VALUE of .env, as written there."""
    lines = ENV_FILE.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))


def dotenv(key: str) -> str:
    """A setting: from the environment if set there (as docker compose does), else from .env."""
    return os.environ.get(key) or read()[key]
