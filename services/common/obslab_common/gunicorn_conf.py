"""gunicorn settings shared by the lab's services: `gunicorn -c python:obslab_common.gunicorn_conf`."""

import os

wsgi_app = os.environ["APP_FACTORY"]
bind = f"0.0.0.0:{os.environ['PORT']}"
# One worker: each service keeps its data and fault knobs in the process. Threads give concurrency.
workers = 1
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# Access log on stdout, so `make logs` shows requests.
accesslog = "-"
# Time for in-flight requests and telemetry buffers on `docker compose stop`.
graceful_timeout = 10


def worker_exit(server, worker):
    from obslab_common import telemetry

    telemetry.flush()
