"""A real HTTP server on 127.0.0.1 for unit tests of code that makes HTTP calls: no patching
of clients, the code under test talks over a socket."""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# answer(method, path, headers, body) -> (status, content type, body bytes)
Answer = Callable[[str, str, dict, bytes], tuple[int, str, bytes]]


@contextmanager
def local_server(answer: Answer) -> Iterator[str]:
    """Serve `answer` for every request; yields the base URL."""

    class Handler(BaseHTTPRequestHandler):
        def _reply(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, content_type, payload = answer(self.command, self.path, dict(self.headers), body)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _reply

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
