"""backend_flask.openapi against the app: every route and method is documented, nothing more,
and the document's limits are the handlers' (schemathesis against the running service is in
tests/integration/test_openapi.py)."""

import re

from backend_flask import openapi
from backend_flask.actions import activities


def _template(rule: str) -> str:
    """A Flask rule as an OpenAPI path: /api/activities/<uuid:activity_uuid> -> .../{activity_uuid}."""
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)


def test_the_document_lists_exactly_the_apps_routes_and_methods(app):
    served = {
        (_template(rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    paths = openapi.document("test")["paths"]
    documented = {(path, method) for path, item in paths.items() for method in item if method != "parameters"}
    assert documented == served


def test_the_service_serves_the_document(app):
    response = app.test_client().get("/api/openapi.json")
    assert response.status_code == 200
    assert response.get_json()["paths"] == openapi.document("any")["paths"]


def test_limits_come_from_the_handlers():
    body = openapi.document("test")["paths"]["/api/activities"]["post"]["requestBody"]
    properties = body["content"]["application/json"]["schema"]["properties"]
    assert properties["ttl"]["enum"] == list(activities.TTLS)
    assert properties["message"]["maxLength"] == activities.MESSAGE_MAX_CHARS


def test_every_operation_says_what_its_errors_look_like():
    for item in openapi.document("test")["paths"].values():
        for method, operation in item.items():
            if method == "parameters":
                continue
            for status, response in operation["responses"].items():
                if status >= "400":
                    assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
