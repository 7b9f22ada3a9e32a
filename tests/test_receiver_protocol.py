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
from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from receiver_helpers import (
    NOW_NS,
    PB,
    chat_attrs,
    config,
    counter,
    logs,
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
    """OTLP/JSON of a request: the protobuf JSON mapping with hex ids."""
    d = json_format.MessageToDict(req)

    def fix(o):
        if isinstance(o, dict):
            for k, v in o.items():
                if k in ("traceId", "spanId", "parentSpanId") and isinstance(v, str):
                    import base64

                    o[k] = base64.b64decode(v).hex()
                else:
                    fix(v)
        elif isinstance(o, list):
            for x in o:
                fix(x)

    fix(d)
    return orjson.dumps(d)


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


def test_one_call_reported_by_two_instrumentations_is_one_output(recv):
    """An SDK's own span and a library's span (other trace) with the same
    provider response id: one output; the text the first one lacked is filled."""
    r, db = recv
    bare = chat_attrs(n=1, text=False)
    full = {**chat_attrs(n=1), "gen_ai.response.id": bare["gen_ai.response.id"]}
    first = traces([{"span_id": 1, "attrs": bare}])
    second = traces([{"span_id": 2, "trace_id": b"\x01" * 16, "attrs": full}])
    assert post(r, "/v1/traces", first.SerializeToString(), PB).status_code == 200
    assert post(r, "/v1/traces", second.SerializeToString(), PB).status_code == 200
    [row] = rows(db)
    assert row["input_text"] == "user: Question 1" and row["output_text"] == "Answer 1"
    assert row["input_tokens"] == 21


@pytest.mark.parametrize("logs_first", [True, False])
def test_content_events_join_their_span_in_either_order(recv, logs_first):
    r, db = recv
    span = traces([{"span_id": 5, "attrs": chat_attrs(n=5, text=False)}])
    events = logs([
        {"event": "gen_ai.system.message", "span_id": 5, "time": NOW_NS,
         "body": {"content": "Be brief."}},
        {"event": "gen_ai.user.message", "span_id": 5, "time": NOW_NS,
         "body": {"content": "Hello?"}},
        {"event": "gen_ai.choice", "span_id": 5, "time": NOW_NS + 1000,
         "body": {"index": 0, "finish_reason": "stop",
                  "message": {"role": "assistant", "content": "Hi."}}},
    ])
    sends = [("/v1/logs", events), ("/v1/traces", span)]
    for path, req in sends if logs_first else sends[::-1]:
        assert post(r, path, req.SerializeToString(), PB).status_code == 200
    [row] = rows(db)
    assert row["input_text"] == "system: Be brief.\nuser: Hello?"
    assert json.loads(row["input_json"])[1] == {"role": "user", "content": "Hello?"}
    assert row["output_text"] == "Hi." and row["finish_reason"] == "stop"
    # the same events again (an exporter's retry): nothing changes
    assert post(r, "/v1/logs", events.SerializeToString(), PB).status_code == 200
    assert rows(db)[0]["input_text"] == "system: Be brief.\nuser: Hello?"


def test_details_event_and_span_are_one_output(recv):
    r, db = recv
    attrs = chat_attrs(n=3)
    details = logs([{"event": "gen_ai.client.inference.operation.details", "span_id": 3,
                     "time": NOW_NS, "attrs": attrs}])
    span = traces([{"span_id": 3, "attrs": attrs}])
    for path, req in (("/v1/logs", details), ("/v1/traces", span)):
        resp = post(r, path, req.SerializeToString(), PB)
        assert resp.status_code == 200
    assert len(rows(db)) == 1
    assert ExportLogsServiceResponse.FromString(b"") is not None


def test_feedback_events_and_evaluations_rate_their_call(recv):
    r, db = recv
    span = traces([{"span_id": 4, "attrs": chat_attrs(n=4)}])
    assert post(r, "/v1/traces", span.SerializeToString(), PB).status_code == 200
    fb = logs([
        {"event": "user_corrected", "span_id": 4, "time": NOW_NS, "attrs": {"value": 1}},
        {"event": "gen_ai.evaluation.result", "span_id": 4, "time": NOW_NS,
         "attrs": {"gen_ai.evaluation.name": "relevance",
                   "gen_ai.evaluation.score.value": 0.5}},
        {"event": "app.started", "time": NOW_NS},
    ])
    resp = post(r, "/v1/logs", fb.SerializeToString(), PB)
    assert resp.status_code == 200
    got = rows(db, "SELECT output_id, name, value_num FROM feedback ORDER BY name")
    oid = rows(db)[0]["id"]
    assert got == [{"output_id": oid, "name": "relevance", "value_num": 0.5},
                   {"output_id": oid, "name": "user_corrected", "value_num": 1.0}]
    assert counter(db, "otlp.logs.ignored") == 1


def test_collector_log_lines_are_parsed_like_a_tailed_file(recv):
    r, db = recv
    line = json.dumps({"id": "n-1", "ts": "2026-12-01T10:00:00Z", "model": "gpt-4o-mini",
                       "input": "2+2?", "output": "4",
                       "usage": {"input_tokens": 5, "output_tokens": 1}})
    req = logs([{"body": line, "attrs": {"log.file.name": "app.jsonl"}},
                {"body": "plain text, not JSON"},
                {"body": "{broken json"}], resource={"host.name": "host-a"})
    for _ in range(2):  # a Collector that re-reads its file: the id de-duplicates
        resp = post(r, "/v1/logs", req.SerializeToString(), PB)
        assert resp.status_code == 200
        ps = ExportLogsServiceResponse.FromString(resp.content).partial_success
        assert ps.rejected_log_records == 1 and "not a JSON log line" in ps.error_message
    [row] = rows(db)
    assert (row["id"], row["format"], row["output_tokens"]) == ("n-1", "native", 1)
    meta = json.loads(row["metadata_json"])
    assert (meta["host"], meta["log_file"]) == ("host-a", "app.jsonl")


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


def test_embeddings_are_stored_as_their_own_operation_and_never_sampled(tmp_path):
    from evaltop.core.model.config import Config
    from evaltop.core.scoring.sampling import sample_new
    from evaltop.store import db as store_db

    emb = {"gen_ai.operation.name": "embeddings", "gen_ai.request.model": "text-embedding-3-small",
           "gen_ai.usage.input_tokens": 8}
    req = traces([{"span_id": 1, "attrs": emb}, {"span_id": 2, "attrs": chat_attrs(n=2)}])
    db = tmp_path / "r.db"
    with running(config(tmp_path), db) as r:
        assert post(r, "/v1/traces", req.SerializeToString(), PB).status_code == 200
    got = {json.loads(x["metadata_json"])["operation"]: x for x in rows(db)}
    assert sorted(got) == ["chat", "embeddings"] and got["embeddings"]["input_tokens"] == 8
    cfg = Config.model_validate({"sampling": {"base_rate": 1.0}})
    conn = store_db.connect(db)
    try:
        summary = sample_new(cfg, conn)
    finally:
        conn.close()
    assert summary.sampled == 1
    assert [x["output_id"] for x in rows(db, "SELECT output_id FROM samples")] == [
        got["chat"]["id"]]


def test_worker_processes_give_the_same_rows_as_the_thread(tmp_path):
    req = traces([{"span_id": i, "attrs": chat_attrs(n=i)} for i in range(1, 6)])
    logs_req = logs([{"event": "user_corrected", "span_id": 2, "time": NOW_NS}])
    got = {}
    for workers in (0, 2):
        db = tmp_path / f"w{workers}.db"
        with running(config(tmp_path, workers=workers), db) as r:
            deadline = time.time() + 60
            while workers and not r.pool.processes and time.time() < deadline:
                time.sleep(0.05)
            assert r.pool.processes == bool(workers)
            assert post(r, "/v1/traces", req.SerializeToString(), PB).status_code == 200
            assert post(r, "/v1/logs", logs_req.SerializeToString(), PB).status_code == 200
            bad = post(r, "/v1/traces", b"\xff\xff", PB)
            assert bad.status_code == 400 and b"undecodable" in bad.content
        got[workers] = (
            [{k: v for k, v in x.items() if k != "ingested_at"} for x in rows(db)],
            rows(db, "SELECT id, output_id, name FROM feedback"),
        )
    assert len(got[0][0]) == 5 and len(got[0][1]) == 1
    assert got[0] == got[2]
