"""Cruddur's seed data (seed.json beside this file): users-api's directory, backend-flask's mock
activities, notifications and conversations. Locust and the tests read the same file."""

import json
from pathlib import Path

SEED_FILE = Path(__file__).with_name("seed.json")


def load() -> dict:
    """A fresh copy of the seed data: callers may change what they get."""
    return json.loads(SEED_FILE.read_text())
