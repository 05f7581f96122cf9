"""Bad requests get JSON errors of one shape, never HTML and never a 500."""

import pytest

from obslab_common.errors import MAX_BODY_BYTES


@pytest.mark.parametrize(
    "method, path, kwargs, status, code",
    [
        ("GET", "/nowhere", {}, 404, "not_found"),
        ("GET", "/api/activities/not-a-uuid", {}, 404, "not_found"),
        ("DELETE", "/api/activities/home", {}, 405, "method_not_allowed"),
        (
            "POST",
            "/api/activities",
            {"data": "message=hi", "content_type": "application/x-www-form-urlencoded"},
            400,
            "content_type_not_json",
        ),
        ("POST", "/api/activities", {"data": "{", "content_type": "application/json"}, 400, "malformed_json"),
        ("POST", "/api/activities", {"data": b"\xff\xfe", "content_type": "application/json"}, 400, "malformed_json"),
        ("POST", "/api/activities", {"data": "[" * 8000, "content_type": "application/json"}, 400, "malformed_json"),
        ("POST", "/api/activities", {"json": ["a", "list"]}, 400, "body_not_object"),
        ("POST", "/api/activities", {"json": {"message": "x" * MAX_BODY_BYTES, "ttl": "1-day"}}, 413, "body_too_large"),
    ],
)
def test_client_errors_are_json(app, method, path, kwargs, status, code):
    response = app.test_client().open(path, method=method, **kwargs)

    assert response.status_code == status
    assert response.is_json
    assert response.get_json()["errors"] == [code]
    assert response.get_json()["message"]


def test_405_names_the_allowed_methods(app):
    response = app.test_client().delete("/api/activities/home")
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET"}


def test_a_bug_answers_500_json(app):
    @app.get("/boom")
    def boom():
        raise RuntimeError("a bug")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert response.get_json()["errors"] == ["internal_error"]
