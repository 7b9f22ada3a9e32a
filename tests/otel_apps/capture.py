"""A test-only OTLP/HTTP sink: accepts ``POST /v1/traces`` and ``POST /v1/logs``,
keeps every raw body (decompressed when gzip) and answers 200 with an empty
protobuf body (an empty Export*ServiceResponse encodes to zero bytes).

    with CaptureOTLP() as sink:
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = sink.endpoint
        ...
        sink.bodies("/v1/traces")  # list of bytes, arrival order
"""

from __future__ import annotations

import gzip
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class CaptureOTLP:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: list[dict] = []
        self._server = _Server(("127.0.0.1", 0), self._handler_class())
        self.port = self._server.server_address[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> CaptureOTLP:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def bodies(self, path: str) -> list[bytes]:
        with self._lock:
            return [r["body"] for r in self.requests if r["path"] == path]

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # http.server's method name
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                if (self.headers.get("Content-Encoding") or "").lower() == "gzip":
                    raw = gzip.decompress(raw)
                path = self.path.split("?", 1)[0]
                if path not in ("/v1/traces", "/v1/logs"):
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                with outer._lock:
                    outer.requests.append({
                        "path": path, "body": raw,
                        "content_type": self.headers.get("Content-Type"),
                        "encoding": self.headers.get("Content-Encoding")})
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

        return Handler
