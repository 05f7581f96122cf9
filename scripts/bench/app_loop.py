"""Runs in the backend-flask image (scripts/bench/request_cost.py starts it): builds the app as
gunicorn's worker does (zero-code instrumentation first), calls it through WSGI in a loop, and
prints the CPU time per request as JSON: the process's (background export threads included),
the mean of ROUNDS rounds.

    python app_loop.py PATH REQUESTS_PER_ROUND
"""

import json
import sys
import time

ROUNDS = 6


def main(path: str, requests: int) -> None:
    """In the container: build the app, call it, print the CPU µs per request as JSON."""
    sys.path.insert(0, "/app")
    from opentelemetry.instrumentation.auto_instrumentation import initialize

    initialize()
    from werkzeug.test import EnvironBuilder

    from backend_flask import create_app

    app = create_app()

    def call() -> None:
        statuses = []
        environ = EnvironBuilder(path=path, headers={"Host": "localhost"}).get_environ()
        b"".join(app(environ, lambda status, headers, exc_info=None: statuses.append(status)))
        assert statuses[0].startswith("200"), statuses

    for _ in range(300):
        call()
    rounds = []
    for _ in range(ROUNDS):
        started = time.process_time()
        for _ in range(requests):
            call()
        rounds.append((time.process_time() - started) / requests * 1e6)
    # The mean over every round: export and log shipping run every so often in the background,
    # and belong in the figure in proportion.
    print(json.dumps({"cpu_us": sum(rounds) / len(rounds), "rounds": rounds}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
