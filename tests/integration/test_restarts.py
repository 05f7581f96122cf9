"""Nothing lost across restarts, and nothing forgotten across `make down` / `make up`.

The restart drill (scripts/restart_drill.py, which `make restart-drill` runs on the full
schedule) on a short one: steady requests with known ids while each backend is stopped and
started again; afterwards every request is in Jaeger, the console, CloudWatch Logs and X-Ray
(OpenTelemetry path)."""

import contextlib
import json
import os
import uuid

import pytest
import requests
import restart_drill
from botocore.exceptions import BotoCoreError, ClientError

from .lab import ROOT, new_ids, request_lines

pytestmark = pytest.mark.integration


class _DrillLab:
    """The test lab as the drill sees it. A container started again gets a new random host port
    here, so every URL is looked up when used, not once."""

    def __init__(self, lab):
        self._lab = lab
        self.compose = lab.compose.compose_command_property
        self.compose_env = dict(os.environ)

    backend = property(lambda self: self._lab.backend)
    jaeger = property(lambda self: self._lab.jaeger)
    console = property(lambda self: self._lab.console)
    localstack = property(lambda self: self._lab.localstack)


def test_no_request_is_lost_while_the_backends_restart(lab):
    services = ("jaeger", "otel-collector", "console", "prometheus", "localstack")
    result = restart_drill.drill(_DrillLab(lab), services, down_seconds=3, rate=4, settle_timeout=180)
    assert result["sent"] > 100
    assert result["failed"] == []
    assert {store: len(result["missing"][store]) for store in restart_drill.PROMISED} == dict.fromkeys(
        restart_drill.PROMISED, 0
    )


def test_xray_and_cloudwatch_logs_survive_localstack_being_recreated(lab):
    # What `make down` / `make up` does to LocalStack: the container goes, the volume stays.
    xray = lab.xray()
    name = f"kept-{uuid.uuid4().hex[:8]}"
    xray.create_group(GroupName=name, FilterExpression='service("users-api")')
    rule = json.loads((ROOT / "localstack/xray-defaults/sampling-rule-cruddur.json").read_text())
    xray.create_sampling_rule(SamplingRule={**rule["SamplingRule"], "RuleName": name, "Priority": 42})
    ids = new_ids()
    requests.get(f"{lab.backend}/api/activities/home", headers=ids["headers"], timeout=10).raise_for_status()
    lab.xray_documents(ids["xray_trace_id"], {"backend-flask"})
    lines = request_lines(lab, {ids["otel_trace_id"]}, count=1)

    lab.run_compose("rm", "--stop", "--force", "localstack")
    lab.run_compose("up", "--detach", "--wait", "localstack")
    xray = lab.xray()  # LocalStack's host port is a new one
    try:
        assert xray.get_group(GroupName=name)["Group"]["FilterExpression"] == 'service("users-api")'
        records = xray.get_sampling_rules()["SamplingRuleRecords"]
        assert {r["SamplingRule"]["RuleName"]: r["SamplingRule"] for r in records}[name]["Priority"] == 42
        # Restored at start-up, not sent again: there from the first look (a loaded machine may
        # answer that look slowly).
        assert lab.xray_documents(ids["xray_trace_id"], {"backend-flask"}, timeout=30)
        assert request_lines(lab, {ids["otel_trace_id"]}, count=1, timeout=30) == lines
    finally:
        # The tests after this one sample with the lab's own rules, whatever happened here (and
        # a failed clean-up must not hide why).
        with contextlib.suppress(BotoCoreError, ClientError):
            xray.delete_group(GroupName=name)
        with contextlib.suppress(BotoCoreError, ClientError):
            xray.delete_sampling_rule(RuleName=name)
