"""gunicorn settings for backend-flask (started under `opentelemetry-instrument`)."""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '4567')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Access log on stdout, so `make logs` shows requests.
accesslog = "-"
# Give in-flight requests (and the span exporter) time to finish on `docker compose stop`.
graceful_timeout = 10
