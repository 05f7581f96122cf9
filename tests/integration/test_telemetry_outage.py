"""Telemetry failing must never break the app: with the collector, the X-Ray daemon or
LocalStack stopped, every endpoint still answers, and answers promptly."""

import pytest
import requests

pytestmark = pytest.mark.integration

# What a client can do, with the answer it must get. A short client timeout is the promptness check.
CALLS = [
    ("GET", "/api/activities/home", None, 200),
    ("GET", "/api/activities/notifications", None, 200),
    ("GET", "/api/activities/@worf", None, 200),
    ("GET", "/api/activities/search?term=cloud", None, 200),
    ("GET", "/api/activities/66e12864-8c26-4c3a-9658-95a10f8fea67", None, 200),
    ("POST", "/api/activities", {"message": "still up?", "ttl": "1-hour"}, 200),
    ("POST", "/api/activities/66e12864-8c26-4c3a-9658-95a10f8fea67/reply", {"message": "yes"}, 200),
    ("GET", "/api/message_groups", None, 200),
    ("GET", "/api/messages/@worf", None, 200),
    ("POST", "/api/messages", {"user_receiver_handle": "worf", "message": "ping"}, 200),
    ("GET", "/rollbar/test", None, 200),
    ("POST", "/api/activities", {"message": ""}, 422),
]
TIMEOUT_SECONDS = 3


@pytest.mark.parametrize("service", ["otel-collector", "xray-daemon", "localstack"])
def test_app_answers_with_telemetry_backend_stopped(lab, service):
    lab.run_compose("stop", service)
    try:
        for method, path, body, status in CALLS * 2:
            response = requests.request(method, f"{lab.backend}{path}", json=body, timeout=TIMEOUT_SECONDS)
            assert response.status_code == status, (service, method, path, response.text)
    finally:
        lab.run_compose("up", "--detach", "--wait", service)
