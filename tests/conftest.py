"""Guards the test suites' separation: the integration suite never shares a process with the
others (see pyproject.toml), whatever paths `pytest` is given."""

from pathlib import Path

import pytest

INTEGRATION = Path(__file__).parent / "integration"


def pytest_collection_modifyitems(config, items):
    integration = [item for item in items if INTEGRATION in item.path.parents]
    if integration and len(integration) != len(items):
        raise pytest.UsageError(
            "The integration tests run in a process of their own: `pytest tests/integration` "
            "(or `make test`, which runs both suites one after the other)."
        )
