"""users-api: Cruddur's user directory, called by backend-flask over HTTP. A Flask app factory;
tracing and logging come from users_api.telemetry."""

import os

from flask import Flask

from obslab_common import errors
from obslab_common.faults import FaultKnobs

from users_api import routes, telemetry


def create_app() -> Flask:
    app = Flask(__name__)
    errors.register(app)
    app.register_blueprint(routes.bp)
    telemetry.init_app(app)
    FaultKnobs(os.environ.get("FAULTS", "")).init_app(app)
    return app
