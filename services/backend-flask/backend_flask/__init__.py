"""Cruddur's backend API: a Flask app factory. Tracing and logging: backend_flask.telemetry."""

import logging
import os

from flask import Flask

from backend_flask import telemetry
from backend_flask.routes import activities, diagnostics, messages
from backend_flask.store import Store
from backend_flask.users_directory import UsersApiClient, UsersDirectory
from obslab_common import errors
from obslab_common.faults import FaultKnobs


def create_app(users: UsersDirectory | None = None) -> Flask:
    """The app; `users` replaces the users-api client (unit tests pass an in-process fake)."""
    app = Flask(__name__)
    app.logger.setLevel(logging.INFO)
    app.extensions["cruddur_store"] = Store()
    app.extensions["cruddur_users"] = users or UsersApiClient(os.environ.get("USERS_API_URL", "http://users-api:4568"))
    errors.register(app)
    for blueprint in (activities.bp, messages.bp, diagnostics.bp):
        app.register_blueprint(blueprint)
    # Tracing first, so the fault knobs' delays and errors are inside the traced request.
    telemetry.init_app(app)
    FaultKnobs(os.environ.get("FAULTS", "")).init_app(app)
    return app
