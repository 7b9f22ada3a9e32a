"""Realistic OTLP trace export requests, as an instrumented app's SDK sends them.

One request = one ``ExportTraceServiceRequest`` from one service: ``llm``
GenAI chat spans (512 by default, the SDK's default batch) following the
current OpenTelemetry GenAI semantic conventions, plus ``other`` spans that
are not LLM calls (an HTTP server span above a call, a DB query beside it),
which a GenAI receiver counts as ignored. Everything is drawn from a seeded
``random.Random``, so the same seed gives byte-identical requests.

Bodies come in both OTLP/HTTP encodings: protobuf (``SerializeToString``)
and OTLP/JSON (lowerCamelCase keys, int64 as strings, enums as integers,
trace and span ids as hex, not the base64 that ``json_format`` gives bytes).

    python -m bench.otlp_gen --requests 2 --seed 1   # sizes and one span, for a look
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import random
from dataclasses import dataclass

from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, Span, Status

SDK_BATCH = 512  # BatchSpanProcessor's default max_export_batch_size
START_NS = 1_767_225_600 * 10**9  # 2026-01-01T00:00:00Z

_WORDS = (
    "the invoice total customer order shipping refund policy account please summarise "
    "extract field value date amount currency reply politely support ticket product "
    "warranty address email number status pending approved rejected because however "
    "answer question context document section table row column model output json "
    "schedule meeting tomorrow afternoon translate german french draft short summary"
).split()

# (provider name, request model, response model, server address, response id prefix)
_MODELS = (
    ("openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", "api.openai.com", "chatcmpl-"),
    ("openai", "gpt-4.1", "gpt-4.1-2025-04-14", "api.openai.com", "chatcmpl-"),
    ("anthropic", "claude-sonnet-4-5", "claude-sonnet-4-5-20250929", "api.anthropic.com", "msg_"),
    ("anthropic", "claude-haiku-4-5", "claude-haiku-4-5-20251001", "api.anthropic.com", "msg_"),
)
_SERVICES = ("checkout-assistant", "support-bot", "doc-summariser", "search-rerank")
_FINISH = ("stop",) * 12 + ("length",)
_ID_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


@dataclass(frozen=True, slots=True)
class Batch:
    """One export request in both encodings, and what it holds."""

    message: ExportTraceServiceRequest
    protobuf: bytes
    json: bytes
    llm_spans: int
    other_spans: int
    service: str

    def body(self, encoding: str, *, gzipped: bool = True) -> bytes:
        raw = self.protobuf if encoding == "protobuf" else self.json
        return gzip.compress(raw, compresslevel=6) if gzipped else raw


def _kv(key: str, value: str | int | float | bool | list[str]) -> KeyValue:
    if isinstance(value, bool):
        return KeyValue(key=key, value=AnyValue(bool_value=value))
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    if isinstance(value, float):
        return KeyValue(key=key, value=AnyValue(double_value=value))
    if isinstance(value, list):
        kv = KeyValue(key=key)
        for item in value:
            kv.value.array_value.values.add(string_value=item)
        return kv
    return KeyValue(key=key, value=AnyValue(string_value=value))


def _text(rng: random.Random, lo: int, hi: int) -> str:
    words = rng.choices(_WORDS, k=rng.randint(lo, hi))
    words[0] = words[0].capitalize()
    return " ".join(words) + "."


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)  # ~4 characters per token for English


def _llm_span(rng: random.Random, trace_id: bytes, parent: bytes, t0: int) -> Span:
    provider, req_model, resp_model, server, id_prefix = rng.choice(_MODELS)
    system = _text(rng, 15, 60)
    turns = [{"role": "user", "parts": [{"type": "text", "content": _text(rng, 20, 400)}]}]
    if rng.random() < 0.3:  # a follow-up in a conversation
        turns += [
            {"role": "assistant", "parts": [{"type": "text", "content": _text(rng, 20, 120)}]},
            {"role": "user", "parts": [{"type": "text", "content": _text(rng, 5, 40)}]},
        ]
    answer = _text(rng, 10, 300)
    finish = rng.choice(_FINISH)
    output = [{"role": "assistant", "parts": [{"type": "text", "content": answer}],
               "finish_reason": finish}]
    in_tok = _tokens(system) + sum(_tokens(p["content"]) for t in turns for p in t["parts"])
    out_tok = _tokens(answer)
    duration = rng.randint(300, 9000) * 10**6
    span = Span(
        trace_id=trace_id,
        span_id=rng.randbytes(8),
        parent_span_id=parent,
        name=f"chat {req_model}",
        kind=Span.SPAN_KIND_CLIENT,
        start_time_unix_nano=t0,
        end_time_unix_nano=t0 + duration,
    )
    attrs = [
        ("gen_ai.operation.name", "chat"),
        ("gen_ai.provider.name", provider),
        ("gen_ai.request.model", req_model),
        ("gen_ai.request.max_tokens", 1024),
        ("gen_ai.request.temperature", rng.choice((0.0, 0.2, 0.7))),
        ("server.address", server),
        ("server.port", 443),
        ("gen_ai.response.model", resp_model),
        ("gen_ai.response.id", id_prefix + "".join(rng.choices(_ID_CHARS, k=24))),
        ("gen_ai.response.finish_reasons", [finish]),
        ("gen_ai.usage.input_tokens", in_tok),
        ("gen_ai.usage.output_tokens", out_tok),
        ("gen_ai.system_instructions", json.dumps([{"type": "text", "content": system}])),
        ("gen_ai.input.messages", json.dumps(turns)),
        ("gen_ai.output.messages", json.dumps(output)),
    ]
    if rng.random() < 0.25:  # a prompt-cache hit on the system prompt
        attrs.append(("gen_ai.usage.cache_read.input_tokens", min(in_tok, _tokens(system))))
    if rng.random() < 0.01:  # a failed call: no response, usage or output
        attrs = attrs[:7] + attrs[12:14] + [("error.type", "RateLimitError")]
        span.status.code = Status.STATUS_CODE_ERROR
        span.status.message = "Error code: 429 - rate limit reached"
    span.attributes.extend(_kv(k, v) for k, v in attrs)
    return span


def _other_span(rng: random.Random, trace_id: bytes, span_id: bytes, parent: bytes,
                t0: int, *, http: bool) -> Span:
    if http:
        route = rng.choice(("/api/chat", "/api/summarise", "/api/tickets/{id}/reply"))
        span = Span(trace_id=trace_id, span_id=span_id, parent_span_id=parent,
                    name=f"POST {route}", kind=Span.SPAN_KIND_SERVER,
                    start_time_unix_nano=t0 - 2 * 10**6,
                    end_time_unix_nano=t0 + rng.randint(400, 9500) * 10**6)
        attrs = [("http.request.method", "POST"), ("http.route", route),
                 ("url.scheme", "https"), ("http.response.status_code", 200),
                 ("server.address", "app.internal"), ("user_agent.original", "Mozilla/5.0")]
    else:
        table = rng.choice(("orders", "tickets", "customers"))
        span = Span(trace_id=trace_id, span_id=span_id, parent_span_id=parent,
                    name=f"SELECT {table}", kind=Span.SPAN_KIND_CLIENT,
                    start_time_unix_nano=t0 - 40 * 10**6, end_time_unix_nano=t0 - 30 * 10**6)
        attrs = [("db.system.name", "postgresql"), ("db.operation.name", "SELECT"),
                 ("db.collection.name", table), ("db.namespace", "app"),
                 ("db.query.text", f"SELECT * FROM {table} WHERE id = $1"),
                 ("server.address", "db.internal"), ("server.port", 5432)]
    span.attributes.extend(_kv(k, v) for k, v in attrs)
    return span


def make_request(rng: random.Random, *, llm: int = SDK_BATCH, other: int = 64,
                 t0: int = START_NS, service: str | None = None) -> ExportTraceServiceRequest:
    """One export request: ``llm`` chat spans and ``other`` non-LLM spans.

    The first ``other`` chat spans each sit in a trace under an HTTP server
    span, or beside a DB query span (alternately); the rest are root spans of
    traces of their own (a batch job, a worker)."""
    service = service or rng.choice(_SERVICES)
    req = ExportTraceServiceRequest()
    rs: ResourceSpans = req.resource_spans.add()
    rs.resource.attributes.extend(_kv(k, v) for k, v in (
        ("service.name", service),
        ("service.version", f"1.{rng.randint(0, 9)}.{rng.randint(0, 30)}"),
        ("deployment.environment.name", "production"),
        ("host.name", f"{service}-{rng.randint(1, 40):02d}"),
        ("telemetry.sdk.language", "python"),
        ("telemetry.sdk.name", "opentelemetry"),
        ("telemetry.sdk.version", "1.38.0"),
    ))
    genai = rs.scope_spans.add()
    genai.scope.name = "opentelemetry.instrumentation.openai_v2"
    genai.scope.version = "2.2b0"
    others = rs.scope_spans.add() if other else None
    if others is not None:
        others.scope.name = "opentelemetry.instrumentation.asgi"
        others.scope.version = "0.59b0"
    for i in range(llm):
        trace_id = rng.randbytes(16)
        start = t0 + i * 5_000_000 + rng.randint(0, 4_000_000)
        parent = b""
        if others is not None and i < other:
            own = rng.randbytes(8)
            http = i % 2 == 0
            if http:
                parent = own
            others.spans.append(
                _other_span(rng, trace_id, own, b"" if http else rng.randbytes(8), start,
                            http=http))
        genai.spans.append(_llm_span(rng, trace_id, parent, start))
    return req


def to_json(req: ExportTraceServiceRequest) -> dict:
    """OTLP/JSON of a request: ``json_format`` gives lowerCamelCase, int64 as
    strings and (with the flag) integer enums; ids it gives as base64, which
    OTLP/JSON replaces with lowercase hex."""
    doc = json_format.MessageToDict(req, use_integers_for_enums=True)
    for rs in doc.get("resourceSpans", ()):
        for ss in rs.get("scopeSpans", ()):
            for span in ss.get("spans", ()):
                _hex_ids(span)
                for link in span.get("links", ()):
                    _hex_ids(link)
    return doc


def _hex_ids(obj: dict) -> None:
    for key in ("traceId", "spanId", "parentSpanId"):
        if key in obj:
            obj[key] = _b64_to_hex(obj[key])


def _b64_to_hex(text: str) -> str:
    return base64.b64decode(text).hex()


def make_batches(n: int, *, seed: int = 1, llm: int = SDK_BATCH, other: int = 64,
                 with_json: bool = True) -> list[Batch]:
    """``n`` requests from ``seed``; request k's spans start k seconds apart.
    ``with_json=False`` leaves ``Batch.json`` empty (it is the slow part)."""
    rng = random.Random(seed)
    out = []
    for k in range(n):
        msg = make_request(rng, llm=llm, other=other, t0=START_NS + k * 10**9 * 60)
        body = json.dumps(to_json(msg), separators=(",", ":")).encode() if with_json else b""
        out.append(Batch(msg, msg.SerializeToString(), body, llm, other,
                         msg.resource_spans[0].resource.attributes[0].value.string_value))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.otlp_gen",
                                 description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    batches = make_batches(args.requests, seed=args.seed)
    for b in batches:
        print(f"{b.service}: {b.llm_spans} LLM + {b.other_spans} other spans; protobuf "
              f"{len(b.protobuf):,} B ({len(b.body('protobuf')):,} gzipped), JSON "
              f"{len(b.json):,} B ({len(b.body('json')):,} gzipped)")
    print(json.dumps(to_json(batches[0].message)["resourceSpans"][0]["scopeSpans"][0]["spans"][0],
                     indent=1)[:3000])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
