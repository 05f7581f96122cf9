"""Rollbar reporting, with pyrollbar sending real HTTP requests to a local capture endpoint
(ROLLBAR_ENDPOINT) instead of api.rollbar.com."""

import json

import pytest

import backend_flask
from local_http import local_server


@pytest.fixture
def rollbar_items(monkeypatch):
    items = []

    def capture(method, path, headers, body):
        items.append({"path": path, "headers": headers, "payload": json.loads(body)})
        return 200, "application/json", b'{"err": 0, "result": {"uuid": "00000000000000000000000000000000"}}'

    with local_server(capture) as url:
        monkeypatch.setenv("ROLLBAR_ACCESS_TOKEN", "test-token")
        monkeypatch.setenv("ROLLBAR_ENDPOINT", f"{url}/api/1/")
        # Synchronous sending, so the item is there when the request returns.
        monkeypatch.setenv("ROLLBAR_HANDLER", "blocking")
        yield items


def test_rollbar_test_route_reports_a_message(rollbar_items):
    app = backend_flask.create_app()

    response = app.test_client().get("/rollbar/test")

    assert response.get_json() == {"reported": True, "message": "Hello World!"}
    [item] = rollbar_items
    assert item["path"] == "/api/1/item/"
    assert item["headers"]["X-Rollbar-Access-Token"] == "test-token"
    data = item["payload"]["data"]
    assert data["level"] == "warning"
    assert data["environment"] == "lab"
    assert data["body"]["message"]["body"] == "Hello World!"


def test_uncaught_errors_are_reported_by_the_flask_integration(rollbar_items):
    app = backend_flask.create_app()

    @app.get("/boom")
    def boom():
        raise RuntimeError("a bug")

    response = app.test_client().get("/boom")

    assert response.status_code == 500
    [item] = rollbar_items
    exception = item["payload"]["data"]["body"]["trace"]["exception"]
    assert (exception["class"], exception["message"]) == ("RuntimeError", "a bug")
    assert item["payload"]["data"]["request"]["url"].endswith("/boom")


def test_without_a_token_rollbar_is_off_and_says_so(monkeypatch, caplog):
    monkeypatch.delenv("ROLLBAR_ACCESS_TOKEN", raising=False)
    with caplog.at_level("INFO"):
        app = backend_flask.create_app()

    assert "Rollbar is off" in caplog.text
    assert app.test_client().get("/rollbar/test").get_json()["reported"] is False
