"""`python -m bench receiver` keeps working against the real `evaltop receive`
(tiny sizes, no timings asserted: speed targets live in bench/, not in tests),
and its generator sends what OTLP/HTTP says: the same spans in protobuf and in
OTLP/JSON (hex ids, lowerCamelCase, int64 as strings), the same bytes for the
same seed."""

from __future__ import annotations

import base64
import json

from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from bench import otlp_gen
from bench import receiver as bench_receiver


def _attrs(span) -> dict:
    return {kv.key: json_format.MessageToDict(kv.value) for kv in span.attributes}


def test_the_generator_is_deterministic_and_both_encodings_carry_the_same_spans():
    a = otlp_gen.make_batches(2, seed=5, llm=30, other=6)
    b = otlp_gen.make_batches(2, seed=5, llm=30, other=6)
    assert [x.protobuf for x in a] == [x.protobuf for x in b]
    assert [x.json for x in a] == [x.json for x in b]
    assert a[0].protobuf != otlp_gen.make_batches(1, seed=6, llm=30, other=6)[0].protobuf
    doc = json.loads(a[0].json)
    span = doc["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    assert len(span["traceId"]) == 32 and len(span["spanId"]) == 16
    int(span["traceId"], 16), int(span["spanId"], 16)  # hex, not base64
    assert isinstance(span["startTimeUnixNano"], str) and span["kind"] == 3
    # back to protobuf, ids to the base64 json_format reads: the very same message
    for rs in doc["resourceSpans"]:
        for ss in rs["scopeSpans"]:
            for sp in ss["spans"]:
                for key in ("traceId", "spanId", "parentSpanId"):
                    if key in sp:
                        sp[key] = base64.b64encode(bytes.fromhex(sp[key])).decode()
    assert json_format.ParseDict(doc, ExportTraceServiceRequest()) == a[0].message


def test_a_batch_holds_genai_chat_spans_and_ignorable_ones():
    [batch] = otlp_gen.make_batches(1, seed=3, llm=200, other=20, with_json=False)
    msg = ExportTraceServiceRequest.FromString(batch.protobuf)
    [rs] = msg.resource_spans
    assert {kv.key for kv in rs.resource.attributes} >= {"service.name", "host.name"}
    genai, others = rs.scope_spans
    assert len(genai.spans) == 200 and len(others.spans) == 20
    assert not any("gen_ai.operation.name" in _attrs(s) for s in others.spans)
    chats = [_attrs(s) for s in genai.spans]
    assert all(a["gen_ai.operation.name"] == {"stringValue": "chat"} for a in chats)
    ok = [a for a in chats if "error.type" not in a]
    assert ok and all("gen_ai.usage.output_tokens" in a for a in ok)
    assert any("gen_ai.usage.cache_read.input_tokens" in a for a in ok)
    messages = json.loads(ok[0]["gen_ai.input.messages"]["stringValue"])
    assert messages[0]["role"] == "user" and messages[0]["parts"][0]["type"] == "text"
    assert len({s.trace_id for s in genai.spans}) == 200


def test_a_tiny_run_writes_every_figure(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(bench_receiver, "RESULTS", tmp_path)
    argv = ["--requests", "2", "--llm-spans", "40", "--other-spans", "8", "--exporters", "2",
            "--burst", "2", "--runs", "1"]
    assert bench_receiver.main(argv) == 0
    [out] = tmp_path.glob("receiver-*.json")
    result = json.loads(out.read_text())
    assert result["ceiling"]["spans_per_s"] > 0
    for enc in ("protobuf", "json"):
        r = result[enc]
        assert r["spans_per_s"] > 0 and r["ratio"] > 0 and r["acks"] == 2
        assert 0 < r["ack_p50_s"] <= r["ack_p99_s"] and r["peak_rss_mb"] > 0
    [burst] = result["burst"]
    assert burst["stored"] == 80 and burst["peak_rss_kb"] > 0 and burst["statuses"]["200"] == 4
    printed = capsys.readouterr().out
    assert "ceiling (gunzip + ParseFromString + executemany" in printed and "burst" in printed
