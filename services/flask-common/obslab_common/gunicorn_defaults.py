"""gunicorn settings every Flask service of the lab shares. A service's own gunicorn.conf.py
imports them and adds what is its own: the app factory, the port, workers and threads."""

# Access log on stdout, so `make logs` shows requests.
accesslog = "-"
# Time for in-flight requests and telemetry buffers on `docker compose stop`.
graceful_timeout = 10
# Idle keep-alive connections stay open 75 s, not 2: a client that pauses about 2 s between
# requests (Locust's users think 1 to 4 s) would otherwise now and then send its next request just
# as gunicorn closes the connection, and get no answer ("Remote end closed connection").
keepalive = 75


def post_fork(server, worker):
    # OpenTelemetry's zero-code instrumentation (what `opentelemetry-instrument` does), in the
    # worker that serves requests and before it loads the app, rather than in gunicorn's master
    # too: the master then stays small (about 40 MiB less per service), and the SDK's export
    # threads start in the process that uses them.
    from opentelemetry.instrumentation.auto_instrumentation import initialize

    initialize()


def worker_exit(server, worker):
    # Ship the log lines still buffered (watchtower sends every few seconds).
    from obslab_common import telemetry

    telemetry.flush()
