"""Real instrumented clients exporting to a real `evaltop receive`.

Each app (tests/otel_apps/app.py) runs in its own process: the real openai or
anthropic client, ONE instrumentation library, the real OTel SDK exporters,
against the loopback LLM server (fixed usage per call, so token totals are
known). The receiver is a real subprocess on a temporary store; assertions read
its SQLite file. An app exits only after its providers are flushed and every
export was answered, and the receiver answers 200 only after commit, so the
rows are there when the app has exited.
"""

from __future__ import annotations

import gzip
import json
import threading

import httpx
import pytest
from loopback_server import LoopbackLLM
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from otel_apps.otlp_json import otlp_json
from receiver_clients_helpers import (
    FIXTURES,
    Receiver,
    counter,
    fixture_span_ids,
    llm_spans_request,
    outputs,
    run_app,
    varied,
    write_config,
)

USAGE = (23, 9)          # what the loopback server bills for every call
REPLY = "Four, the sum."
CALLS = 3
PROTOBUF = {"Content-Type": "application/x-protobuf"}

# library -> provider; half of them export gzip-compressed (the SDK's option).
LIBRARIES = {
    "openai-v2": "openai",
    "openai-v2-latest": "openai",
    "openllmetry-openai": "openai",
    "openllmetry-openai-events": "openai",
    "openinference-openai": "openai",
    "openllmetry-anthropic": "anthropic",
    "openinference-anthropic": "anthropic",
    "anthropic-native": "anthropic",
}
GZIP = {"openai-v2-latest", "openinference-openai", "openllmetry-anthropic", "anthropic-native"}


@pytest.fixture(scope="module")
def llm():
    with LoopbackLLM(mode="good", usage=USAGE, content=REPLY) as server:
        yield server


@pytest.fixture(scope="module")
def receiver(tmp_path_factory):
    cfg, db = write_config(tmp_path_factory.mktemp("receiver"))
    rx = Receiver(cfg, db)
    try:
        yield rx.start()
    finally:
        rx.stop()


def _check_call_rows(rows: list[dict], summary: dict, provider: str, *, content: bool) -> None:
    calls = summary["calls"]
    assert all("error" not in c for c in calls), calls
    assert len(rows) == len(calls), [r["id"] for r in rows]  # one output per call
    assert {r["provider"] for r in rows} == {provider}
    assert sorted(r["model"] for r in rows) == sorted(c["model"] for c in calls)
    assert sum(r["input_tokens"] for r in rows) == sum(c["input_tokens"] for c in calls)
    assert sum(r["output_tokens"] for r in rows) == sum(c["output_tokens"] for c in calls)
    assert sum(c["input_tokens"] for c in calls) == USAGE[0] * len(calls)
    assert not any(r["usage_estimated"] for r in rows)
    spans = {(s["trace_id"], s["span_id"]): s for s in summary["spans"]}
    for row in rows:
        meta = row["metadata"]
        key = (meta.get("trace_id"), meta.get("span_id"))
        assert key in spans, (key, row["id"])
        assert row["id"] == f"{key[0]}:{key[1]}"
        assert meta.get("parent_span_id") == spans[key]["parent_span_id"]
        assert meta.get("service") == summary["service"]
    if content:
        questions = sorted(c["input_text"] for c in calls)
        stored = sorted(r["input_text"] for r in rows)
        for question, text in zip(questions, stored, strict=True):
            assert question in text
        assert all(REPLY in r["output_text"] for r in rows)
    else:
        assert not any(r["output_text"] for r in rows)
        assert not any(c["input_text"] in r["input_text"] for c in calls for r in rows)


@pytest.mark.parametrize("library", sorted(LIBRARIES))
def test_instrumented_app_calls_become_one_output_each(library, llm, receiver):
    service = f"clients-{library}"
    summary = run_app(library, receiver.endpoint, llm.base_url, calls=CALLS, service=service,
                      gzip=library in GZIP)
    rows = outputs(receiver.db, service=service)
    _check_call_rows(rows, summary, LIBRARIES[library], content=True)


def test_content_capture_off_keeps_usage_without_text(llm, receiver):
    service = "clients-openai-v2-latest-no-content"
    summary = run_app("openai-v2-latest", receiver.endpoint, llm.base_url, calls=2,
                      service=service, content=False)
    _check_call_rows(outputs(receiver.db, service=service), summary, "openai", content=False)


@pytest.mark.parametrize("library", ["openai-v2-latest", "openinference-openai",
                                     "anthropic-native"])
def test_failed_call_is_one_output_with_its_error(library, receiver):
    """The provider answers 500 (the client does not retry): the span carries
    the error (status, error.type or an exception event) and no usage."""
    service = f"clients-error-{library}"
    with LoopbackLLM(mode="500") as failing:
        summary = run_app(library, receiver.endpoint, failing.base_url, calls=2,
                          service=service)
    assert [c["error"] for c in summary["calls"]] == ["InternalServerError"] * 2
    rows = outputs(receiver.db, service=service)
    assert len(rows) == 2
    assert all(r["error"] for r in rows)
    assert {r["model"] for r in rows} == {summary["calls"][0]["model"]}
    assert not any(r["input_tokens"] or r["output_tokens"] for r in rows)


def _post(endpoint: str, signal: str, body: bytes, headers: dict) -> httpx.Response:
    return httpx.post(f"{endpoint}/v1/{signal}", content=body, headers=headers, timeout=30)


def _rejected(resp: httpx.Response) -> int:
    assert resp.headers["content-type"].startswith("application/x-protobuf")
    parsed = ExportTraceServiceResponse.FromString(resp.content)
    return parsed.partial_success.rejected_spans


def test_duplicated_export_is_stored_once(receiver):
    """The same captured export twice (an exporter retry after a timeout), plus
    the log events of the same calls: the rows do not change."""
    folder = FIXTURES / "openai-v2-latest"
    traces = (folder / "traces-0.pb").read_bytes()
    ids = fixture_span_ids(traces)
    first = _post(receiver.endpoint, "traces", traces, PROTOBUF)
    assert first.status_code == 200 and _rejected(first) == 0
    rows = outputs(receiver.db, ids=ids)
    assert sorted(r["id"] for r in rows) == sorted(ids)
    duplicates = counter(receiver.db, "otlp.spans.duplicates")
    again = _post(receiver.endpoint, "traces", traces, PROTOBUF)
    assert again.status_code == 200 and _rejected(again) == 0  # a duplicate is not a rejection
    assert counter(receiver.db, "otlp.spans.duplicates") == duplicates + len(ids)
    events = _post(receiver.endpoint, "logs", (folder / "logs-0.pb").read_bytes(), PROTOBUF)
    assert events.status_code == 200
    assert outputs(receiver.db, ids=ids) == rows
    assert len(outputs(receiver.db, service="fixture-openai-v2-latest")) == len(ids)


def _comparable(row: dict, salt: int) -> str:
    """A stored row minus what differs between the varied copies."""
    keep = {k: v for k, v in row.items()
            if k not in ("id", "rowid", "ingested_at", "metadata_json", "metadata")}
    keep["metadata"] = {k: v for k, v in row["metadata"].items() if k != "trace_id"}
    return json.dumps(keep, sort_keys=True).replace(f"-v{salt}", "")


@pytest.mark.parametrize("library", ["openllmetry-openai", "openinference-anthropic"])
def test_protobuf_json_and_gzip_give_identical_rows(library, receiver):
    """One captured request sent three ways, each as new calls (see `varied`):
    protobuf, OTLP/JSON, gzip-compressed protobuf. The rows are the same."""
    captured = (FIXTURES / library / "traces-0.pb").read_bytes()
    ways = {
        0x11: lambda pb: (pb, PROTOBUF),
        0x22: lambda pb: (json.dumps(otlp_json(ExportTraceServiceRequest.FromString(pb)))
                          .encode(), {"Content-Type": "application/json"}),
        0x33: lambda pb: (gzip.compress(pb), {**PROTOBUF, "Content-Encoding": "gzip"}),
    }
    results = []
    for salt, encode in ways.items():
        pb = varied(captured, salt)
        body, headers = encode(pb)
        resp = _post(receiver.endpoint, "traces", body, headers)
        assert resp.status_code == 200, resp.text
        assert resp.headers["content-type"].startswith(headers["Content-Type"])
        rows = outputs(receiver.db, ids=fixture_span_ids(pb))
        results.append(sorted(_comparable(r, salt) for r in rows))
    assert len(results[0]) == len(json.loads((FIXTURES / library / "app.json").read_text())
                                   ["calls"])
    assert results[0] == results[1] == results[2]


def test_kill_9_while_exporting_loses_nothing_acknowledged(tmp_path):
    """Three plain httpx senders export batches of LLM spans without pause; the
    receiver is killed with SIGKILL mid-stream. After a restart on the same
    store: every span of a request answered 200 is there exactly once, a request
    left unanswered is there whole or not at all (never split), and re-sending
    the unanswered ones (an exporter's retry) completes the set, no duplicates."""
    cfg, db = write_config(tmp_path)
    rx = Receiver(cfg, db).start()
    answered: list[list[str]] = []
    unanswered: list[tuple[bytes, list[str]]] = []
    enough = threading.Event()

    def sender(first_batch: int) -> None:
        try:
            send(first_batch)
        finally:
            enough.set()

    def send(first_batch: int) -> None:
        with httpx.Client(timeout=30) as client:
            for batch in range(first_batch, first_batch + 1000):
                body, ids = llm_spans_request(batch, 64)
                try:
                    resp = client.post(f"{rx.endpoint}/v1/traces", content=body,
                                       headers=PROTOBUF)
                except httpx.TransportError:
                    unanswered.append((body, ids))
                    return
                if resp.status_code != 200:
                    unanswered.append((body, ids))
                    continue
                answered.append(ids)
                if len(answered) >= 12:
                    enough.set()

    threads = [threading.Thread(target=sender, args=(k * 1000,), daemon=True) for k in range(3)]
    try:
        for thread in threads:
            thread.start()
        assert enough.wait(120), "the senders got no answers"
        rx.kill9()
        for thread in threads:
            thread.join(60)
        assert answered and not any(t.is_alive() for t in threads)
        rx.start()
        acked = [i for ids in answered for i in ids]
        stored = outputs(db, ids=acked)
        assert sorted(r["id"] for r in stored) == sorted(acked)  # each acked span, once
        for _body, ids in unanswered:
            assert len(outputs(db, ids=ids)) in (0, len(ids))  # whole or nothing
        for body, _ids in unanswered:
            assert _post(rx.endpoint, "traces", body, PROTOBUF).status_code == 200
        everything = acked + [i for _b, ids in unanswered for i in ids]
        all_rows = outputs(db, ids=everything)
        assert sorted(r["id"] for r in all_rows) == sorted(everything)
        assert sum(r["input_tokens"] for r in all_rows) == 11 * len(everything)
    finally:
        rx.stop()
        for thread in threads:
            thread.join(30)
