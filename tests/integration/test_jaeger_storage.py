"""Jaeger keeps its traces on the volume jaeger-data: a new Jaeger container (what `make down`
then `make up` gives) still finds an earlier trace."""

import pytest
import requests

from .lab import new_ids

pytestmark = pytest.mark.integration


def test_traces_outlive_the_jaeger_container(lab):
    ids = new_ids()
    requests.get(f"{lab.backend}/api/activities/home", headers=ids["headers"], timeout=10).raise_for_status()
    lab.jaeger_trace(ids["otel_trace_id"], {"GET /api/activities/home"})

    lab.run_compose("rm", "--stop", "--force", "jaeger")
    lab.run_compose("up", "--detach", "--wait", "jaeger")

    trace = lab.jaeger_trace(ids["otel_trace_id"], {"GET /api/activities/home", "home-activities-mock-data"})
    assert trace["traceID"] == ids["otel_trace_id"]
