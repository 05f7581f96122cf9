"""HTTP routes. Handlers stay thin: data comes from backend_flask.services."""

from flask import Blueprint, jsonify

from backend_flask.services import home_activities

api = Blueprint("api", __name__)


@api.get("/health")
def health():
    # Used by the container health check; excluded from tracing (see compose.yaml).
    return jsonify(status="ok")


@api.get("/api/activities/home")
def activities_home():
    return jsonify(home_activities.run())
