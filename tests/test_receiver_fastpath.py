"""The receiver's fast path (formats/genai_fast.py: an LLM call that reports
its usage goes straight from its fields to a row) lays out exactly the row
the record path does, and leaves every other span to the record path."""

from __future__ import annotations

import json

import pytest

from bench.otlp_gen import make_batches
from evaltop.core.ingest.formats import FormatError, genai
from evaltop.core.ingest.otlp import from_proto
from evaltop.core.ingest.otlp.views import SpanView
from evaltop.core.ingest.prepare import Parsed, finish, values_row
from evaltop.core.ingest.pricing import PriceBook
from evaltop.core.model.config import Config
from evaltop.core.model.records import LoggedOutput
from tests.receiver_helpers import chat_attrs, traces

NOW = 1_767_300_000.0
NOW_NS = int(NOW * 1e9)
BOOK = PriceBook.from_config(Config())
AMAP = genai.AttributeMap(task=("app.task",), user=("app.user",), tags=("app.tags",))


def _record_row(view: SpanView, amap=genai.DEFAULT_MAP) -> tuple | None:
    m = genai.map_span(view, source="otlp", amap=amap, now_ns=NOW_NS)
    recs = [r for r in m.records if isinstance(r, LoggedOutput)]
    if not recs:
        return None
    return next(iter(finish(Parsed(None, NOW, outputs=recs, source="otlp"), BOOK).outputs.values()))


def _fast(view: SpanView, amap=genai.DEFAULT_MAP):
    m = genai.map_span(view, source="otlp", amap=amap, now_ns=NOW_NS, values=True)
    return next((r for r in m.records if type(r) is dict), None)


def _views(req) -> list[SpanView]:
    return [v for v in from_proto.spans(req.SerializeToString()) if isinstance(v, SpanView)]


def _variants() -> list[dict]:
    base = chat_attrs(model="claude-sonnet-4-5", inp=900, out=120, n=1)
    cases = [
        {},
        {"gen_ai.usage.cache_read.input_tokens": 300,
         "gen_ai.usage.cache_creation.input_tokens": 100,
         "gen_ai.usage.cache_creation.ephemeral_1h_input_tokens": 60,
         "gen_ai.usage.reasoning.output_tokens": 20},
        {"app.task": "triage", "evaltop.prompt_version": "v3", "evaltop.variant": "b",
         "app.user": "u-17", "app.tags": "red, blue", "openai.response.service_tier": "flex",
         "evaltop.batch": True, "gen_ai.conversation.id": "c-1", "server.address": "h"},
        {"gen_ai.system_instructions": json.dumps([{"type": "text", "content": "Be brief."}]),
         "gen_ai.response.finish_reasons": "length"},
        {"gen_ai.provider.name": "Azure.AI.OpenAI", "gen_ai.request.model": "unpriced-x",
         "gen_ai.response.model": "unpriced-x"},
        {"gen_ai.input.messages": "plain text prompt", "gen_ai.output.messages": "plain"},
        {"error.type": "Timeout"},
        {"gen_ai.usage.input_tokens": "900"},  # a decimal string: the record path's job
    ]
    return [{**base, **c} for c in cases]


def test_fast_rows_equal_record_rows_for_the_bench_and_varied_spans():
    views = [v for b in make_batches(2, seed=5, llm=64, other=8) for v in _views(b.message)]
    views += _views(traces([{"span_id": i + 1, "attrs": a} for i, a in enumerate(_variants())]))
    fast = 0
    for v in views:
        want = _record_row(v, AMAP)
        got = _fast(v, AMAP)
        if got is None:
            assert want is None or v.attrs.get("gen_ai.usage.input_tokens") == "900" \
                or "gen_ai.usage.input_tokens" not in v.attrs
            continue
        fast += 1
        assert values_row(got, BOOK, "otlp", NOW, fmt="otel") == want, v.attrs
    assert fast >= 130  # the common call takes the fast path


@pytest.mark.parametrize("attrs, slow_reason", [
    ({"gen_ai.usage.input_tokens": -3}, "must not be negative"),
    ({"gen_ai.usage.reasoning.output_tokens": 500}, "exceed output tokens"),
])
def test_bad_values_are_rejected_with_the_record_paths_reason(attrs, slow_reason):
    (view,) = _views(traces([{"span_id": 1, "attrs": {**chat_attrs(), **attrs}}]))
    with pytest.raises(FormatError, match=slow_reason):
        genai.map_span(view, source="otlp", now_ns=NOW_NS, values=True)


def test_calls_without_usage_or_failed_take_the_record_path():
    spans = [{"span_id": 1, "attrs": {k: v for k, v in chat_attrs().items()
                                      if "usage" not in k}},
             {"span_id": 2, "attrs": chat_attrs(), "error": "boom"}]
    for v in _views(traces(spans)):
        m = genai.map_span(v, source="otlp", now_ns=NOW_NS, values=True)
        if v.span_id.endswith("1"):
            assert [type(r) for r in m.records] == [LoggedOutput]  # its tokens are counted
        else:  # an error status still has usage: fast, with the status as its error
            (vals,) = m.records
            row = values_row(vals, BOOK, "otlp", NOW, fmt="otel")
            assert row == _record_row(v) and "boom" in row
