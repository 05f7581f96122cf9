"""Cruddur's backend API: a Flask app factory, instrumented by backend_flask.telemetry."""

from flask import Flask

from backend_flask import telemetry
from backend_flask.routes import api


def create_app() -> Flask:
    app = Flask(__name__)
    app.register_blueprint(api)
    telemetry.init_app(app)
    return app
