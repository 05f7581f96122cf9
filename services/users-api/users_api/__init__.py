"""users-api: Cruddur's user directory, called by backend-flask over HTTP. A Flask app factory;
tracing and logging are the lab's shared set-up (obslab_common.telemetry)."""

import os

from flask import Flask

from obslab_common import errors, telemetry
from obslab_common.faults import FaultKnobs
from users_api import routes


def create_app() -> Flask:
    app = Flask(__name__)
    errors.register(app)
    app.register_blueprint(routes.bp)
    telemetry.init(app)
    FaultKnobs(os.environ.get("FAULTS", "")).init_app(app)
    return app
