"""Helpers for tests/test_receiver_clients.py: `evaltop receive` as a real
subprocess, the instrumented apps of tests/otel_apps/, the stored outputs, and
OTLP requests of synthetic LLM spans for a plain httpx sender."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

TESTS = Path(__file__).resolve().parent
APP = TESTS / "otel_apps" / "app.py"
FIXTURES = TESTS / "data" / "otlp"
_LISTENING = re.compile(r"listening on (http://\S+?:\d+)")


def write_config(folder: Path) -> tuple[Path, Path]:
    """A minimal config with the receiver on loopback; returns (config, db)."""
    db = folder / "evaltop.db"
    cfg = folder / "evaltop.toml"
    cfg.write_text(f'[store]\npath = "{db}"\n\n[receiver]\nhost = "127.0.0.1"\nport = 0\n')
    return cfg, db


def _evaltop() -> list[str]:
    script = Path(sys.executable).with_name("evaltop")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from evaltop.tui.cli.main import main; main()"]


class Receiver:
    """`evaltop receive --port 0` in its own process; `endpoint` is what it printed."""

    def __init__(self, cfg: Path, db: Path) -> None:
        self.cfg, self.db = cfg, db
        self.proc: subprocess.Popen | None = None
        self.endpoint = ""
        self.stderr: list[str] = []

    def start(self, ready_within_s: float = 60.0) -> Receiver:
        self.stderr = []
        self.proc = subprocess.Popen(
            [*_evaltop(), "receive", "--config", str(self.cfg), "--db", str(self.db),
             "--host", "127.0.0.1", "--port", "0"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True, env=dict(os.environ, PYTHONUNBUFFERED="1"))
        found = threading.Event()

        def drain(stream) -> None:
            for line in stream:
                self.stderr.append(line.rstrip("\n"))
                match = _LISTENING.search(line)
                if match and not found.is_set():
                    self.endpoint = match.group(1)
                    found.set()
            found.set()  # the process ended: stop waiting

        threading.Thread(target=drain, args=(self.proc.stderr,), daemon=True).start()
        # A guard against a hang, not a speed assertion.
        if not found.wait(ready_within_s) or not self.endpoint:
            self.stop()
            raise RuntimeError("evaltop receive did not report listening:\n"
                               + "\n".join(self.stderr))
        return self

    def kill9(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)

    def stop(self) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(30)


def run_app(library: str, endpoint: str, llm_base_url: str, *, calls: int, service: str,
            content: bool = True, gzip: bool = False) -> dict:
    """Runs one instrumented app to completion (its providers flushed and shut
    down: every export was answered) and returns its JSON summary."""
    env = dict(os.environ, OTEL_EXPORTER_OTLP_ENDPOINT=endpoint, OTEL_SERVICE_NAME=service)
    if gzip:
        env["OTEL_EXPORTER_OTLP_COMPRESSION"] = "gzip"
    cmd = [sys.executable, str(APP), library, "--base-url", llm_base_url, "--calls", str(calls)]
    if not content:
        cmd.append("--no-content")
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    # The SDK logs a failed export and carries on; a test must not pass on that.
    failed = [e for e in summary["exports"] if e["result"] != "SUCCESS"]
    assert summary["exports"] and not failed, (failed, proc.stderr)
    return summary


def outputs(db: Path, *, service: str | None = None, ids: list[str] | None = None) -> list[dict]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    conn.row_factory = sqlite3.Row
    try:
        rows = [dict(r) for r in conn.execute("SELECT * FROM outputs ORDER BY ts, id")]
    finally:
        conn.close()
    for row in rows:
        row["metadata"] = json.loads(row.get("metadata_json") or "{}")
    if service is not None:
        rows = [r for r in rows if r["metadata"].get("service") == service]
    if ids is not None:
        wanted = set(ids)
        rows = [r for r in rows if r["id"] in wanted]
    return rows


def counter(db: Path, name: str) -> int:
    """A counter the receiver keeps in the store (e.g. otlp.spans.duplicates)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        row = conn.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
    finally:
        conn.close()
    return row[0] if row else 0


def _kv(key: str, value: str | int) -> KeyValue:
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=value))


def llm_spans_request(batch: int, spans: int, *, service: str = "sender",
                      usage: tuple[int, int] = (11, 5)) -> tuple[bytes, list[str]]:
    """One ExportTraceServiceRequest of `spans` chat spans (current GenAI
    conventions, content as JSON strings) with ids unique to `batch`; returns
    the protobuf body and the output ids `<trace hex>:<span hex>`."""
    now = time.time_ns()
    out: list[Span] = []
    ids: list[str] = []
    for n in range(spans):
        trace_id = (0xE7A1 << 112 | batch << 32 | n).to_bytes(16, "big")
        span_id = (0x5 << 60 | batch << 20 | n).to_bytes(8, "big")
        ids.append(f"{trace_id.hex()}:{span_id.hex()}")
        question = f"sender batch {batch} span {n}"
        out.append(Span(
            trace_id=trace_id, span_id=span_id, name="chat gpt-4o-mini",
            kind=Span.SPAN_KIND_CLIENT, start_time_unix_nano=now - 1_000_000,
            end_time_unix_nano=now, attributes=[
                _kv("gen_ai.operation.name", "chat"), _kv("gen_ai.provider.name", "openai"),
                _kv("gen_ai.request.model", "gpt-4o-mini"),
                _kv("gen_ai.response.model", "gpt-4o-mini"),
                _kv("gen_ai.response.id", f"chatcmpl-sender-{batch}-{n}"),
                _kv("gen_ai.usage.input_tokens", usage[0]),
                _kv("gen_ai.usage.output_tokens", usage[1]),
                _kv("gen_ai.input.messages", json.dumps(
                    [{"role": "user", "parts": [{"type": "text", "content": question}]}])),
                _kv("gen_ai.output.messages", json.dumps(
                    [{"role": "assistant", "parts": [{"type": "text", "content": "ok"}],
                      "finish_reason": "stop"}])),
            ]))
    req = ExportTraceServiceRequest(resource_spans=[ResourceSpans(
        resource=Resource(attributes=[_kv("service.name", service)]),
        scope_spans=[ScopeSpans(spans=out)])])
    return req.SerializeToString(), ids


def fixture_span_ids(body: bytes) -> list[str]:
    req = ExportTraceServiceRequest.FromString(body)
    return [f"{s.trace_id.hex()}:{s.span_id.hex()}"
            for rs in req.resource_spans for ss in rs.scope_spans for s in ss.spans]


_RESPONSE_ID = re.compile(r"(chatcmpl-loop\d+|msg_loop\d+)")


def varied(body: bytes, salt: int) -> bytes:
    """The same captured request as a different set of calls: every trace id
    changed (xor of its last byte) and every loopback response id (in any
    string attribute, JSON inside included) suffixed with ``-v<salt>``, so a
    receiver that de-duplicates by trace/span id or by response id stores it
    anew. Content, usage, models and span ids stay the same."""
    req = ExportTraceServiceRequest.FromString(body)
    for rs in req.resource_spans:
        for ss in rs.scope_spans:
            for span in ss.spans:
                span.trace_id = span.trace_id[:-1] + bytes([span.trace_id[-1] ^ salt])
                for kv in span.attributes:
                    if kv.value.HasField("string_value"):
                        kv.value.string_value = _RESPONSE_ID.sub(
                            rf"\1-v{salt}", kv.value.string_value)
    return req.SerializeToString()
