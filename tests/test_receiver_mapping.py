"""What the receiver makes of spans and log records: one output per call
whoever reports it, content events joined to their call, feedback, Collector
log lines, embeddings, and the same rows from worker processes."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
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
    with running(config(tmp_path), tmp_path / "r.db") as r:
        yield r, tmp_path / "r.db"


def post(r, path: str, body: bytes, headers: dict) -> httpx.Response:
    return httpx.post(r.url + path, content=body, headers=headers, timeout=30)


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


def test_resource_attributes_become_segments_by_configuration(tmp_path):
    """[receiver.attributes] variant = ["service.name"]: two services are two
    variants of one task, so a regression can be split by service."""
    cfg = config(tmp_path, attributes={"variant": ["evaltop.variant", "service.name"],
                                       "task": ["evaltop.task"]})
    db = tmp_path / "seg.db"
    with running(cfg, db) as r:
        for service, first in (("checkout", 1), ("search", 10)):
            req = traces([{"span_id": first + i, "attrs": {**chat_attrs(n=i), "evaltop.task": "qa"}}
                          for i in range(2)], service=service)
            assert post(r, "/v1/traces", req.SerializeToString(), PB).status_code == 200
        pinned = traces([{"span_id": 99, "attrs": {**chat_attrs(n=9), "evaltop.variant": "b"}}],
                        service="search")
        assert post(r, "/v1/traces", pinned.SerializeToString(), PB).status_code == 200
    got = sorted((x["task"], x["variant"]) for x in rows(db))
    assert got == [("", "b"), ("qa", "checkout"), ("qa", "checkout"), ("qa", "search"),
                   ("qa", "search")]


def test_a_decode_worker_killed_never_takes_the_receiver_down(tmp_path):
    """kill -9 of a decoding process: the request it held is answered 503
    (retryable; nothing of it stored), later requests decode on the
    receiver's thread, and every request answered 200 is stored."""
    import os
    import signal

    db = tmp_path / "w.db"
    with running(config(tmp_path, workers=1), db) as r:
        deadline = time.time() + 60
        while not r.pool.processes and time.time() < deadline:
            time.sleep(0.05)
        assert r.pool.processes
        [worker] = list(r.pool._pool._processes)
        os.kill(worker, signal.SIGKILL)
        answers = []
        for n in range(1, 4):
            req = traces([{"span_id": 100 * n + i, "attrs": chat_attrs(n=i)} for i in range(3)])
            answers.append(post(r, "/v1/traces", req.SerializeToString(), PB).status_code)
        assert answers[-1] == 200 and set(answers) <= {200, 503}
        assert not r.pool.processes
    assert len(rows(db)) == 3 * answers.count(200)
