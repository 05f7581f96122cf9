"""Telemetry failing must never break the app: with the collector, the X-Ray daemon or
LocalStack stopped, every endpoint still answers, and answers promptly."""

import pytest
import requests

from telemetry_contract import ENDPOINTS

pytestmark = pytest.mark.integration

# What a client can do (every endpoint of the telemetry contract, and then some), with the
# answer it must get. A short client timeout is the promptness check.
CALLS = [(e.method, e.path, e.body, e.status) for e in ENDPOINTS] + [
    ("GET", "/rollbar/test", None, 200),
    ("POST", "/api/activities", {"message": ""}, 422),
]
TIMEOUT_SECONDS = 3


@pytest.mark.parametrize("service", ["otel-collector", "xray-daemon", "localstack"])
def test_app_answers_with_telemetry_backend_stopped(lab, service):
    lab.run_compose("stop", service)
    try:
        # Every call is made and the wrong answers listed together: one does not hide the next.
        wrong = []
        for method, path, body, status in CALLS * 2:
            try:
                response = requests.request(method, f"{lab.backend}{path}", json=body, timeout=TIMEOUT_SECONDS)
                answer = response.status_code
            except requests.RequestException as error:
                answer = type(error).__name__
            if answer != status:
                wrong.append((method, path, answer))
    finally:
        lab.run_compose("up", "--detach", "--wait", service)
    assert wrong == []
