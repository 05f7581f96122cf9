"""backend-flask's telemetry: the lab's shared tracing/logging set-up (obslab_common.telemetry),
plus Rollbar, which only this service uses, as in the exercise.

Rollbar is on when ROLLBAR_ACCESS_TOKEN is set: uncaught errors are reported through pyrollbar's
Flask integration. ROLLBAR_ENDPOINT points it elsewhere than api.rollbar.com (the tests use a
local capture server); ROLLBAR_HANDLER picks pyrollbar's transport (default: thread).
"""

import os

import rollbar
import rollbar.contrib.flask
from flask import Flask, current_app

from obslab_common import telemetry


def init_app(app: Flask) -> None:
    telemetry.init(app)
    _init_rollbar(app)


def _init_rollbar(app: Flask) -> None:
    token = os.environ.get("ROLLBAR_ACCESS_TOKEN", "").strip()
    app.extensions["rollbar_enabled"] = bool(token)
    if not token:
        app.logger.info("Rollbar is off: set ROLLBAR_ACCESS_TOKEN to report errors to Rollbar.")
        return
    rollbar.contrib.flask.init(
        app,
        token,
        environment=os.environ.get("ROLLBAR_ENVIRONMENT", "lab"),
        endpoint=os.environ.get("ROLLBAR_ENDPOINT", rollbar.DEFAULT_ENDPOINT),
        handler=os.environ.get("ROLLBAR_HANDLER", "thread"),
        root=os.path.dirname(os.path.dirname(__file__)),
        code_version=os.environ.get("APP_VERSION"),
        # Flask's logging is already set up; pyrollbar must not call logging.basicConfig().
        allow_logging_basic_config=False,
        suppress_reinit_warning=True,
    )
    app.logger.info("Rollbar is on (environment %s).", rollbar.SETTINGS["environment"])


def report_to_rollbar(message: str, level: str) -> bool:
    """Report a message with the request's trace ids attached; False when Rollbar is off."""
    if not current_app.extensions.get("rollbar_enabled"):
        return False
    rollbar.report_message(message, level, extra_data=telemetry.trace_ids())
    return True
