"""The container health check of a Flask service: `python3 -m obslab_common.healthcheck`, run in
the service's folder. It asks /health on the port the service's gunicorn.conf.py binds, so the
port is written in one place."""

import runpy
import sys
import urllib.request


def main() -> int:
    port = runpy.run_path("gunicorn.conf.py")["bind"].rsplit(":", 1)[1]
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2)
    except OSError as error:
        print(f"unhealthy: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
