"""How the console starts. The image runs `gunicorn -c gunicorn.conf.py` in this folder: gunicorn
serves the app that console.create_app() builds, on port 8080. One worker, because only one
process may write to the DuckDB file; threads serve the page, the API and the collector's
exports at once. The console is not instrumented: its own requests would fill its own store."""

wsgi_app = "console:create_app()"
bind = "0.0.0.0:8080"
workers = 1
threads = 8
# Let a running query or ingest finish, then DuckDB closes its file cleanly.
graceful_timeout = 20
accesslog = None
