"""A test-only OTLP/HTTP logs endpoint that records exactly what a client sends.

Standard-library HTTP is enough here: it serves one test client on loopback.
Answers can be scripted (e.g. 503 + Retry-After for the first requests) to see
how an exporter retries.
"""

from __future__ import annotations

import gzip
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.logs.v1 import logs_service_pb2


@dataclass
class Captured:
    path: str
    headers: dict[str, str]
    status: int
    request: logs_service_pb2.ExportLogsServiceRequest

    def records(self):
        """(resource attributes dict, log record) for every record."""
        for rl in self.request.resource_logs:
            res = {kv.key: kv.value.string_value for kv in rl.resource.attributes}
            for sl in rl.scope_logs:
                for rec in sl.log_records:
                    yield res, rec


@dataclass
class CaptureServer:
    """``answers`` is consumed one per request: (status, retry_after or None);
    when it is empty every request gets 200."""

    answers: list[tuple[int, str | None]] = field(default_factory=list)
    requests: list[Captured] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> CaptureServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def accepted(self) -> list[Captured]:
        with self._lock:
            return [c for c in self.requests if c.status == 200]

    def _handler(self):
        capture = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                body = raw
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(raw)
                req = logs_service_pb2.ExportLogsServiceRequest()
                req.ParseFromString(body)
                with capture._lock:
                    status, retry_after = (capture.answers.pop(0) if capture.answers
                                           else (200, None))
                    capture.requests.append(
                        Captured(self.path, dict(self.headers.items()), status, req))
                out = logs_service_pb2.ExportLogsServiceResponse().SerializeToString()
                self.send_response(status)
                if retry_after is not None:
                    self.send_header("Retry-After", retry_after)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *args) -> None:
                pass

        return Handler
