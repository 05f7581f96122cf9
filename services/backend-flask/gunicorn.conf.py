"""How backend-flask starts. The image runs `gunicorn -c gunicorn.conf.py` in this folder. Its
worker starts OpenTelemetry's zero-code instrumentation (obslab_common.gunicorn_defaults), then
serves the app that backend_flask.create_app() builds. Its service name (both tracers, the log stream)
is OTEL_SERVICE_NAME, set in compose.yaml."""

from obslab_common.gunicorn_defaults import *  # noqa: F403 (access log, grace period, log flush)

wsgi_app = "backend_flask:create_app()"
bind = "0.0.0.0:4567"
# One worker: the service keeps its data and fault knobs in the process. Threads give concurrency.
workers = 1
threads = 8
