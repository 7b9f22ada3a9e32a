"""The OTLP/HTTP receiver against a real HTTP client on loopback and a real
SQLite file: encodings, status codes, partial success, idempotence, limits."""

from __future__ import annotations

import gzip
import json
import sqlite3
import threading
import time

import httpx
import orjson
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from otel_apps.otlp_json import otlp_json as to_otlp_json
from receiver_helpers import (
    NOW_NS,
    PB,
    chat_attrs,
    config,
    counter,
    rows,
    running,
    traces,
)


@pytest.fixture
def recv(tmp_path):
    cfg = config(tmp_path)
    db = tmp_path / "r.db"
    with running(cfg, db) as r:
        yield r, db


def otlp_json(req) -> bytes:
    """OTLP/JSON bytes of a request (hex ids, integer enums)."""
    return orjson.dumps(to_otlp_json(req))


def post(r, path: str, body: bytes, headers: dict) -> httpx.Response:
    return httpx.post(r.url + path, content=body, headers=headers, timeout=30)


def test_protobuf_span_becomes_a_priced_output_with_ids_and_resource(recv):
    r, db = recv
    req = traces([
        {"span_id": 1, "name": "invoke_agent", "attrs": {"gen_ai.operation.name": "invoke_agent"}},
        {"span_id": 2, "parent": 1, "attrs": {**chat_attrs(n=2), "evaltop.task": "faq"}},
        {"span_id": 3, "name": "GET /users", "attrs": {"http.request.method": "GET"}},
    ])
    resp = post(r, "/v1/traces", req.SerializeToString(), PB)
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "application/x-protobuf"
    assert not ExportTraceServiceResponse.FromString(resp.content).HasField("partial_success")
    [row] = rows(db)
    assert row["id"] == "0af7651916cd43dd8448eb211c80319c:" + (2).to_bytes(8, "big").hex()
    assert (row["model"], row["provider"], row["task"]) == ("gpt-4o-mini", "openai", "faq")
    assert (row["input_tokens"], row["output_tokens"], row["usage_estimated"]) == (21, 7, 0)
    assert row["cost_pusd"] is not None and row["cost_pusd"] > 0
    assert row["input_text"] == "user: Question 2" and row["output_text"] == "Answer 2"
    assert row["latency_ms"] == 1500.0 and row["source"] == "otlp"
    meta = json.loads(row["metadata_json"])
    assert meta["parent_span_id"] == (1).to_bytes(8, "big").hex()
    assert (meta["service"], meta["environment"]) == ("bot", "test")
    assert counter(db, "otlp.spans") == 3 and counter(db, "otlp.spans.ignored") == 2


def test_json_gzip_and_protobuf_give_identical_rows(tmp_path):
    req = traces([{"span_id": i, "attrs": chat_attrs(n=i)} for i in range(1, 4)])
    got = {}
    for name, body, headers in (
        ("pb", req.SerializeToString(), PB),
        ("json", otlp_json(req), {"content-type": "application/json"}),
        ("gz", gzip.compress(otlp_json(req)),
         {"content-type": "application/json; charset=utf-8", "content-encoding": "gzip"}),
    ):
        db = tmp_path / f"{name}.db"
        with running(config(tmp_path), db) as r:
            resp = post(r, "/v1/traces", body, headers)
            assert resp.status_code == 200
            assert resp.headers["content-type"] == headers["content-type"].split(";")[0]
        got[name] = [{k: v for k, v in row.items() if k != "ingested_at"} for row in rows(db)]
    assert len(got["pb"]) == 3
    assert got["pb"] == got["json"] == got["gz"]


def test_the_file_format_and_the_wire_give_identical_rows(tmp_path):
    """One span as a Collector file-exporter line (`otel` format, tailed)
    and the same span received over OTLP/HTTP: the same row."""
    from evaltop.core.ingest.pipeline import ingest_once
    from evaltop.core.model.config import Config
    from evaltop.store import db as store_db

    req = traces([{"span_id": 7, "attrs": {**chat_attrs(n=7), "evaltop.variant": "b"}}])
    line = otlp_json(req)
    (tmp_path / "spans.jsonl").write_bytes(line + b"\n")
    fcfg = Config.model_validate({"sources": [
        {"name": "otlp", "path": str(tmp_path / "spans.jsonl"), "format": "otel"}]})
    conn = store_db.connect(tmp_path / "file.db")
    ingest_once(fcfg, conn, progress=False)
    conn.close()
    with running(config(tmp_path), tmp_path / "wire.db") as r:
        assert post(r, "/v1/traces", req.SerializeToString(), PB).status_code == 200
    skip = ("ingested_at",)
    file_rows = [{k: v for k, v in x.items() if k not in skip} for x in rows(tmp_path / "file.db")]
    wire_rows = [{k: v for k, v in x.items() if k not in skip} for x in rows(tmp_path / "wire.db")]
    assert file_rows == wire_rows and len(wire_rows) == 1


def test_a_duplicated_export_is_counted_not_stored_twice(recv):
    r, db = recv
    body = traces([{"span_id": i, "attrs": chat_attrs(n=i)} for i in range(1, 6)])
    body = body.SerializeToString()
    assert post(r, "/v1/traces", body, PB).status_code == 200
    before = rows(db)
    resp = post(r, "/v1/traces", body, PB)
    assert resp.status_code == 200
    assert not ExportTraceServiceResponse.FromString(resp.content).HasField("partial_success")
    assert rows(db) == before and len(before) == 5
    assert counter(db, "otlp.spans.duplicates") == 5 and counter(db, "outputs") == 5


def test_bad_items_are_rejected_with_reasons_and_the_rest_is_stored(recv):
    r, db = recv
    req = traces([
        {"span_id": 1, "attrs": chat_attrs(n=1)},
        {"span_id": b"\x01\x02", "attrs": chat_attrs(n=2)},  # span id of the wrong length
        {"span_id": 3, "attrs": {**chat_attrs(n=3), "gen_ai.usage.input_tokens": "lots"}},
        {"span_id": 4, "attrs": chat_attrs(n=4), "start": 0, "end": 0},  # no time: clamped
        {"span_id": 5, "attrs": chat_attrs(n=5), "start": NOW_NS + 400 * 86400 * 10**9},
        {"span_id": 6, "attrs": {**chat_attrs(n=6), "gen_ai.input.messages": "x" * (10 << 20)}},
    ])
    before = time.time()
    resp = post(r, "/v1/traces", req.SerializeToString(), PB)
    assert resp.status_code == 200
    ps = ExportTraceServiceResponse.FromString(resp.content).partial_success
    assert ps.rejected_spans == 2
    assert "spanId must be 8 bytes" in ps.error_message
    assert "gen_ai.usage.input_tokens must be a whole number" in ps.error_message
    got = {row["id"][-1]: row for row in rows(db)}
    assert sorted(got) == ["1", "4", "5", "6"]
    assert got["4"]["ts"] >= before - 1 and got["5"]["ts"] <= time.time() + 1
    assert len(got["6"]["input_text"]) == len("user: ") + (1 << 20)
    assert counter(db, "otlp.clamped") == 3 and counter(db, "otlp.spans.rejected") == 2
    reasons = rows(db, "SELECT reason, head FROM rejects ORDER BY head")
    assert [x["head"] for x in reasons] == [b"resourceSpans[0].scopeSpans[0].spans[1]",
                                            b"resourceSpans[0].scopeSpans[0].spans[2]"]


def test_truncated_and_invalid_utf8_bodies_keep_their_good_spans(recv):
    r, db = recv
    req = traces([{"span_id": i, "name": f"chat-{i}", "attrs": chat_attrs(n=i)}
                  for i in range(1, 4)])
    body = req.SerializeToString()
    resp = post(r, "/v1/traces", body[:-20], PB)  # cut inside the last span
    assert resp.status_code == 200
    ps = ExportTraceServiceResponse.FromString(resp.content).partial_success
    assert ps.rejected_spans == 1 and "cut short" in ps.error_message
    assert len(rows(db)) == 2
    bad = body.replace(b"chat-2", b"chat\xff2")
    resp = post(r, "/v1/traces", bad, PB)
    assert resp.status_code == 200
    ps = ExportTraceServiceResponse.FromString(resp.content).partial_success
    assert ps.rejected_spans == 1 and "UTF-8" in ps.error_message
    assert len(rows(db)) == 3  # span 3 now stored; spans 1 and 2 were already


@pytest.mark.parametrize("path, body, headers, status, words", [
    ("/v1/traces", b"\xff\xff\xff", PB, 400, "undecodable protobuf"),
    ("/v1/traces", b"{not json", {"content-type": "application/json"}, 400, "undecodable JSON"),
    ("/v1/traces", b"[" * 5000 + b"]" * 5000, {"content-type": "application/json"}, 400,
     "undecodable JSON"),
    ("/v1/logs", b"{}", {"content-type": "text/plain"}, 415, "application/x-protobuf"),
    ("/v1/metrics", b"", PB, 404, "not metrics"),
    ("/v2/nothing", b"", PB, 404, "no such path"),
    ("/v1/traces", b"x", {**PB, "content-encoding": "br"}, 415, "gzip or none"),
    ("/v1/traces", b"not gzip at all", {**PB, "content-encoding": "gzip"}, 400, "gzip"),
])
def test_errors_answer_in_the_request_encoding(recv, path, body, headers, status, words):
    r, db = recv
    resp = post(r, path, body, headers)
    assert resp.status_code == status
    if headers["content-type"] == "application/json":
        assert words in resp.json()["message"]
    else:
        assert words.encode() in resp.content
    assert "retry-after" not in resp.headers
    assert rows(db) == []


def test_body_limits_apply_to_the_decompressed_size(tmp_path):
    cfg = config(tmp_path, max_body_bytes=1 << 20)
    with running(cfg, tmp_path / "r.db") as r:
        resp = post(r, "/v1/traces", b"\0" * ((1 << 20) + 1), PB)
        assert resp.status_code == 413
        bomb = gzip.compress(b"\0" * (256 << 20))  # 256 MiB in ~250 kB
        resp = post(r, "/v1/traces", bomb, {**PB, "content-encoding": "gzip"})
        assert resp.status_code == 413 and b"decompressed" in resp.content
        ok = traces([{"span_id": 1, "attrs": chat_attrs()}]).SerializeToString()
        resp = post(r, "/v1/traces", gzip.compress(ok), {**PB, "content-encoding": "gzip"})
        assert resp.status_code == 200


def test_get_is_not_allowed_and_health_answers(recv):
    r, _ = recv
    assert httpx.get(r.url + "/v1/traces").status_code == 405
    assert httpx.get(r.url + "/health").json() == {"status": "ok"}


def test_bearer_token_is_required_when_configured(tmp_path, monkeypatch):
    monkeypatch.setenv("RECV_TOKEN", "s3cret-token")
    cfg = config(tmp_path, token_env="RECV_TOKEN")
    body = traces([{"span_id": 1, "attrs": chat_attrs()}]).SerializeToString()
    with running(cfg, tmp_path / "r.db") as r:
        for auth in (None, "Bearer wrong", "s3cret-token", "Bearer s3cret-tokenX"):
            headers = {**PB, **({"authorization": auth} if auth else {})}
            resp = post(r, "/v1/traces", body, headers)
            assert resp.status_code == 401 and resp.headers["www-authenticate"] == "Bearer"
        assert rows(tmp_path / "r.db") == []
        resp = post(r, "/v1/traces", body, {**PB, "authorization": "Bearer s3cret-token"})
        assert resp.status_code == 200 and len(rows(tmp_path / "r.db")) == 1


def test_a_store_that_is_behind_answers_503_with_retry_after(tmp_path):
    """Another process holds the write lock: requests wait for their COMMIT
    (never answered before it); past the in-flight limit new ones get 503
    with Retry-After, and everything answered 200 is stored."""
    body = traces([{"span_id": i, "attrs": chat_attrs(n=i)} for i in range(1, 50)])
    body = body.SerializeToString()
    cfg = config(tmp_path, max_inflight_bytes=2 * len(body))
    db = tmp_path / "r.db"
    with running(cfg, db) as r:
        blocker = sqlite3.connect(db, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        answers: list[int] = []

        def send(n: int) -> None:
            req = traces([{"span_id": 1000 * n + i, "attrs": chat_attrs(n=i)}
                          for i in range(1, 50)])
            answers.append(post(r, "/v1/traces", req.SerializeToString(), PB).status_code)

        threads = [threading.Thread(target=send, args=(n,)) for n in range(2)]
        for t in threads:
            t.start()
        deadline = time.time() + 20
        while r.inflight < 2 * len(body) * 0.9 and time.time() < deadline:
            time.sleep(0.05)
        assert answers == []  # nothing is acknowledged while the store cannot commit
        resp = post(r, "/v1/traces", body, PB)
        assert resp.status_code == 503 and resp.headers["retry-after"] == "1"
        blocker.execute("COMMIT")
        blocker.close()
        for t in threads:
            t.join()
    assert answers == [200, 200]
    assert len(rows(db)) == 2 * 49
