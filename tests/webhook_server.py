"""A loopback webhook receiver for alert tests: a real HTTP server on
127.0.0.1 (ephemeral port) that records every POST body and answers with
scripted statuses (default 200)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class WebhookReceiver:
    """``with WebhookReceiver(statuses=[500, 200]) as hook: hook.url ...``

    ``statuses`` are answered in order, then ``default``; ``posts`` holds the
    decoded JSON bodies of every request, including the refused ones.
    """

    def __init__(self, *, statuses: list[int] | None = None, default: int = 200):
        self.posts: list[dict] = []
        self.statuses = list(statuses or [])
        self.default = default
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # http.server's method name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    try:
                        receiver.posts.append(json.loads(body))
                    except ValueError:
                        receiver.posts.append({"_raw": body.decode("utf-8", "replace")})
                    status = receiver.statuses.pop(0) if receiver.statuses else receiver.default
                reply = b"ok" if status < 400 else b"no"
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/hook"

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def texts(self) -> list[str]:
        with self._lock:
            return [p.get("text", "") for p in self.posts]
