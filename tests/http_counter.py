"""A real HTTP server on 127.0.0.1, in its own process, that counts every response it serves.

``python -m tests.http_counter DELAY_S`` prints its port, then serves until killed:
``GET /<key>`` answers ``answer to <key>`` after ``DELAY_S`` seconds; ``GET /__stats`` returns
``{"served": {key: n}, "peak": most requests held at once, "pids": {x-worker-pid: n}}``. A process
of its own, so the client under test and the server never share a GIL (in one process the
server's threads cannot keep up with 64 requests in flight on a loaded 2-core machine).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def serve(delay_s: float) -> None:
    served: Counter = Counter()
    pids: Counter = Counter()
    state = {"in_flight": 0, "peak": 0}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: the client's pool reuses connections
        # Headers and body go out in two writes: with Nagle's algorithm the second waits for the
        # client's delayed ACK, 40 ms a response.
        disable_nagle_algorithm = True

        def _send(self, body: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):  # noqa: N802 (http.server's name)
            key = self.path.strip("/")
            if key == "__stats":
                with lock:
                    body = json.dumps({"served": served, "peak": state["peak"], "pids": pids}).encode()
                return self._send(body)
            with lock:
                state["in_flight"] += 1
                state["peak"] = max(state["peak"], state["in_flight"])
                pids[self.headers.get("x-worker-pid", "")] += 1
            time.sleep(delay_s)
            self._send(f"answer to {key}".encode())
            with lock:
                state["in_flight"] -= 1
                served[key] += 1  # counted once the response is written

        def log_message(self, *args):
            pass

    class Server(ThreadingHTTPServer):
        request_queue_size = 256  # the listen backlog: 5 by default, fewer than the client's pool
        daemon_threads = True

    httpd = Server(("127.0.0.1", 0), Handler)
    print(httpd.server_address[1], flush=True)
    httpd.serve_forever()


if __name__ == "__main__":
    serve(float(sys.argv[1]))
