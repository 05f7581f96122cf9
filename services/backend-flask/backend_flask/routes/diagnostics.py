import os

from flask import Blueprint, jsonify

from backend_flask import openapi, telemetry

bp = Blueprint("diagnostics", __name__)


@bp.get("/health")
def health():
    # For the container health check; never sampled by X-Ray, excluded from OpenTelemetry.
    return jsonify(status="ok")


@bp.get("/rollbar/test")
def rollbar_test():
    """Reports a message to Rollbar, as the exercise did, when Rollbar is on."""
    reported = telemetry.report_to_rollbar("Hello World!", "warning")
    if not reported:
        return jsonify(reported=False, message="Rollbar is off: set ROLLBAR_ACCESS_TOKEN to turn it on.")
    return jsonify(reported=True, message="Hello World!")


@bp.get("/api/openapi.json")
def openapi_document():
    """The API's contract (backend_flask.openapi)."""
    return jsonify(openapi.document(os.environ.get("APP_VERSION", "dev")))
