"""A real receiver on loopback for tests: in-process (:func:`running`) or as
the `evaltop receive` command (:func:`spawn`), and OTLP requests built with
the official protobuf messages."""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from evaltop.core.ingest.receiver.service import Receiver
from evaltop.core.model.config import Config

PB = {"content-type": "application/x-protobuf"}
TRACE = bytes.fromhex("0af7651916cd43dd8448eb211c80319c")
NOW_NS = time.time_ns() - 60 * 10**9


def config(tmp: Path, **receiver) -> Config:
    """Decoding on the receiver's thread unless ``workers`` is given: a test
    starts no processes it does not test."""
    return Config.model_validate({"store": {"path": str(tmp / "r.db")},
                                  "receiver": {"port": 0, "workers": 0, **receiver}})


@contextlib.contextmanager
def running(cfg: Config, db: Path) -> Iterator[Receiver]:
    r = Receiver(cfg, db)
    r.start()
    try:
        yield r
    finally:
        r.stop()


def set_attr(attrs, key: str, value) -> None:
    kv = attrs.add(key=key)
    if isinstance(value, bool):
        kv.value.bool_value = value
    elif isinstance(value, int):
        kv.value.int_value = value
    elif isinstance(value, float):
        kv.value.double_value = value
    else:
        kv.value.string_value = value


def chat_attrs(model="gpt-4o-mini", inp=21, out=7, text=True, n=0) -> dict:
    a = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
         "gen_ai.request.model": model, "gen_ai.response.model": model,
         "gen_ai.response.id": f"chatcmpl-{n}-{os.urandom(4).hex()}",
         "gen_ai.usage.input_tokens": inp, "gen_ai.usage.output_tokens": out}
    if text:
        a["gen_ai.input.messages"] = json.dumps(
            [{"role": "user", "parts": [{"type": "text", "content": f"Question {n}"}]}])
        a["gen_ai.output.messages"] = json.dumps(
            [{"role": "assistant", "parts": [{"type": "text", "content": f"Answer {n}"}],
              "finish_reason": "stop"}])
    return a


def traces(spans: list[dict], service: str = "bot") -> ExportTraceServiceRequest:
    """``spans``: dicts with ``span_id`` (int or bytes), ``attrs`` and
    optional ``trace_id``, ``parent``, ``start``, ``end``, ``name``, ``error``."""
    req = ExportTraceServiceRequest()
    rs = req.resource_spans.add()
    set_attr(rs.resource.attributes, "service.name", service)
    set_attr(rs.resource.attributes, "deployment.environment.name", "test")
    sc = rs.scope_spans.add()
    sc.scope.name = "tests"
    for s in spans:
        span = sc.spans.add()
        span.trace_id = s.get("trace_id", TRACE)
        sid = s["span_id"]
        span.span_id = sid if isinstance(sid, bytes) else sid.to_bytes(8, "big")
        if "parent" in s:
            span.parent_span_id = s["parent"].to_bytes(8, "big")
        span.name = s.get("name", "chat")
        span.start_time_unix_nano = s.get("start", NOW_NS)
        span.end_time_unix_nano = s.get("end", NOW_NS + 1_500_000_000)
        for k, v in s.get("attrs", {}).items():
            set_attr(span.attributes, k, v)
        if s.get("error"):
            span.status.code = 2
            span.status.message = s["error"]
    return req


def logs(records: list[dict], resource: dict | None = None) -> ExportLogsServiceRequest:
    """``records``: dicts with optional ``event``, ``body`` (str or dict),
    ``attrs``, ``span_id`` (int), ``trace_id``, ``time``."""
    req = ExportLogsServiceRequest()
    rl = req.resource_logs.add()
    for k, v in (resource or {}).items():
        set_attr(rl.resource.attributes, k, v)
    sl = rl.scope_logs.add()
    for r in records:
        rec = sl.log_records.add()
        rec.time_unix_nano = r.get("time", 0)
        rec.observed_time_unix_nano = NOW_NS
        if r.get("event"):
            rec.event_name = r["event"]
        if "span_id" in r:
            rec.span_id = r["span_id"].to_bytes(8, "big")
            rec.trace_id = r.get("trace_id", TRACE)
        body = r.get("body")
        if isinstance(body, str):
            rec.body.string_value = body
        elif isinstance(body, dict):
            _kvlist(rec.body.kvlist_value.values, body)
        for k, v in r.get("attrs", {}).items():
            set_attr(rec.attributes, k, v)
    return req


def _kvlist(values, d: dict) -> None:
    for k, v in d.items():
        kv = values.add(key=k)
        if isinstance(v, dict):
            _kvlist(kv.value.kvlist_value.values, v)
        elif isinstance(v, int):
            kv.value.int_value = v
        else:
            kv.value.string_value = v


def rows(db: Path, sql: str = "SELECT * FROM outputs ORDER BY id", args=()) -> list[dict]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, args)]
    finally:
        conn.close()


def counter(db: Path, name: str) -> int:
    got = rows(db, "SELECT value FROM counters WHERE name = ?", (name,))
    return int(got[0]["value"]) if got else 0


def spawn(cfg_path: Path, db: Path, *args: str, env: dict | None = None,
          port: int = 0) -> tuple[subprocess.Popen, str]:
    """`evaltop receive` as a process; returns it and its base URL."""
    cmd = [sys.executable, "-m", "evaltop.tui.cli.main", "receive", "--config", str(cfg_path),
           "--db", str(db), "--port", str(port), *args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})
    line = proc.stderr.readline()
    m = re.search(r"listening on (http://\S+)", line)
    if not m:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"receiver did not start: {line}{err}")
    return proc, m.group(1)
