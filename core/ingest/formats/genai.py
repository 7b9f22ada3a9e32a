"""Views to evaltop records: the one mapping of the OpenTelemetry GenAI
conventions, for the ``otel`` file format and the OTLP receiver alike.

Spans: only LLM calls become outputs (``is_llm_call``); embeddings become
outputs of their own operation (never sampled for judging); every other span
(HTTP, DB, agent, tool, framework) is ignored. Conventions read, newest
first: ``gen_ai.*`` semantic conventions (``gen_ai.input.messages`` and
friends as JSON strings or structured values, on the span or on a
``gen_ai.client.inference.operation.details`` event), OpenLLMetry's indexed
``gen_ai.prompt.N.*`` attributes, OpenInference ``llm.*`` attributes, and
OpenLIT's ``gen_ai.content.*`` events. docs/receiver.md has the table.

Log records are mapped in ``genai_logs``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import orjson

from evaltop.core.ingest.formats.common import (
    build_feedback,
    complete,
    fail,
    to_int,
    to_str,
    usage,
)
from evaltop.core.ingest.formats.genai_fast import row_values
from evaltop.core.ingest.formats.otel_attrs import conversation, messages
from evaltop.core.ingest.formats.pairs import tag_list
from evaltop.core.ingest.otlp.views import STATUS_ERROR, SpanView
from evaltop.core.model.records import Feedback, LoggedOutput

FMT = "otel"
INFERENCE_OPS = frozenset(
    {"chat", "text_completion", "generate_content", "completion", "responses"}
)
EMBEDDING_OPS = frozenset({"embeddings", "embedding"})
DETAILS_EVENT = "gen_ai.client.inference.operation.details"
EVALUATION_EVENT = "gen_ai.evaluation.result"
MESSAGE_EVENTS = {
    "gen_ai.system.message": "system",
    "gen_ai.user.message": "user",
    "gen_ai.assistant.message": "assistant",
    "gen_ai.tool.message": "tool",
}
CHOICE_EVENT = "gen_ai.choice"
FUTURE_SLACK_NS = 86_400 * 10**9  # a clock a day ahead is wrong, not early

_USAGE_ATTRS = {
    "input_tokens": ("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens",
                     "llm.token_count.prompt"),
    "output_tokens": ("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens",
                      "llm.token_count.completion"),
    "cached_input_tokens": (
        "gen_ai.usage.cache_read.input_tokens",
        "gen_ai.usage.cache_read_input_tokens",
        "llm.token_count.prompt_details.cache_read",
    ),
    "cache_write_tokens": (
        "gen_ai.usage.cache_creation.input_tokens",
        "gen_ai.usage.cache_creation_input_tokens",
        "gen_ai.usage.cache_write.input_tokens",
        "llm.token_count.prompt_details.cache_write",
    ),
    "reasoning_tokens": ("gen_ai.usage.reasoning.output_tokens",
                         "llm.token_count.completion_details.reasoning"),
}
# The TTL split of cache writes, named as Anthropic's usage.cache_creation object.
_WRITE_1H_ATTRS = ("gen_ai.usage.cache_creation.ephemeral_1h_input_tokens",
                   "evaltop.usage.cache_write_1h_tokens")
_WRITE_5M_ATTRS = ("gen_ai.usage.cache_creation.ephemeral_5m_input_tokens",)
# The rates a call is billed at: the service tier the provider answered with,
# and whether it ran through a batch API.
SERVICE_TIER_ATTRS = ("openai.response.service_tier", "gen_ai.openai.response.service_tier",
                      "gen_ai.response.service_tier")
BATCH_ATTRS = ("evaltop.batch", "gen_ai.request.batch")
_METADATA_ATTRS = {
    "gen_ai.operation.name": "operation",
    "gen_ai.conversation.id": "conversation_id",
    "gen_ai.response.id": "response_id",
    "gen_ai.agent.name": "agent",
    "server.address": "server_address",
}
RESOURCE_METADATA = {
    "service.name": "service",
    "deployment.environment.name": "environment",
    "deployment.environment": "environment",
    "host.name": "host",
}


@dataclass(frozen=True)
class AttributeMap:
    """Which span (then resource) attribute fills evaltop's own fields; the
    first present wins. ``[receiver.attributes]`` in the config."""

    task: tuple[str, ...] = ("evaltop.task",)
    prompt_version: tuple[str, ...] = ("evaltop.prompt_version",)
    variant: tuple[str, ...] = ("evaltop.variant",)
    user: tuple[str, ...] = ("evaltop.user", "user.id", "enduser.id")
    tags: tuple[str, ...] = ("evaltop.tags",)

    def pick(self, names: tuple[str, ...], attrs: dict, resource: dict) -> Any:
        for name in names:
            if (value := attrs.get(name)) is not None:
                return value
        for name in names:
            if (value := resource.get(name)) is not None:
                return value
        return None


DEFAULT_MAP = AttributeMap()


@dataclass(slots=True)
class Content:
    """Part of a call's conversation reported as its own log record; joined
    with the call's output (same id) whichever arrives first."""

    output_id: str
    side: str  # "input" or "output"
    seq: int  # order: the record's time, then its place in the request
    role: str
    text: str
    finish_reason: str | None = None


@dataclass(slots=True)
class Mapped:
    """What one span or log record became."""

    records: list[LoggedOutput | Feedback] = field(default_factory=list)
    content: list[Content] = field(default_factory=list)
    ignored: bool = False
    notes: list[str] = field(default_factory=list)


def output_id(trace_id: str, span_id: str) -> str:
    """A call's id: ``<trace id>:<span id>`` (span ids are unique only
    within a trace); the span id alone when no trace id was sent."""
    return f"{trace_id}:{span_id}" if trace_id else span_id


def operation(attrs: dict[str, Any]) -> str | None:
    op = attrs.get("gen_ai.operation.name") or attrs.get("llm.request.type")
    if op is None and attrs.get("openinference.span.kind") in ("LLM", "EMBEDDING"):
        op = "chat" if attrs["openinference.span.kind"] == "LLM" else "embeddings"
    return op if isinstance(op, str) else None


def is_llm_call(attrs: dict[str, Any]) -> bool:
    op = operation(attrs)
    if op:
        return op in INFERENCE_OPS or op in EMBEDDING_OPS
    has_model = any(k in attrs for k in ("gen_ai.request.model", "gen_ai.response.model",
                                         "llm.model_name"))
    return has_model and any(a in attrs for names in _USAGE_ATTRS.values() for a in names)


def clamp_time(ns: int, now_ns: int, what: str, notes: list[str]) -> int:
    """0 (absent) or a time far in the future becomes the receive time, noted."""
    if ns <= 0:
        notes.append(f"{what} missing: the time it was received is used")
        return now_ns
    if ns > now_ns + FUTURE_SLACK_NS:
        notes.append(f"{what} more than a day in the future: the time it was received is used")
        return now_ns
    return ns


def map_span(v: SpanView, *, source: str, amap: AttributeMap = DEFAULT_MAP,
             now_ns: int | None = None, seq: int = 0, values: bool = False) -> Mapped:
    """One span: an output (LLM call), feedback (evaluation events), or
    ignored. Raises FormatError for a span that claims to be an LLM call but
    breaks the conventions (its reason is counted). With ``values``, a call
    that reports its usage comes as the checked values ``prepare`` lays out
    as a row (``genai_fast.row_values``: no record in between), not as a
    :class:`LoggedOutput`."""
    m = Mapped(notes=list(v.notes))
    attrs = v.attrs
    events = []
    for name, eattrs, t in v.events:
        if name == DETAILS_EVENT:
            for key, value in eattrs.items():
                attrs.setdefault(key, value)
        events.append((name, eattrs, t))
    oid = output_id(v.trace_id, v.span_id)
    llm = is_llm_call(attrs)
    if llm:
        now_ns = time.time_ns() if now_ns is None else now_ns
        start = clamp_time(v.start_ns, now_ns, "startTimeUnixNano", m.notes)
        end = v.end_ns if v.end_ns >= start and v.end_ns <= now_ns + FUTURE_SLACK_NS else 0
        fields = output_fields(v, oid, attrs, events, start, end, amap)
        fast = row_values(fields, source) if values else None
        m.records.append(fast if fast is not None else complete(FMT, fields, {}, None, "", source))
    target = oid if llm else (output_id(v.trace_id, v.parent_span_id) if v.parent_span_id else "")
    for n, (name, eattrs, t) in enumerate(events):
        if name == EVALUATION_EVENT and target:
            when = t or v.end_ns or v.start_ns
            m.records.append(evaluation(eattrs, f"{oid}:eval:{n}", target, when, source))
    m.ignored = not m.records
    return m


def output_fields(v: SpanView, oid: str, attrs: dict, events: list, start: int, end: int,
                  amap: AttributeMap) -> dict[str, Any]:
    """An LLM call's fields, before validation into a record."""
    inp, out = conversation(attrs, [(n, a) for n, a, _ in events])
    if inp is None:
        inp = _openinference_messages(attrs, "llm.input_messages")
    if out is None:
        msgs = _openinference_messages(attrs, "llm.output_messages")
        if msgs:
            out = ("\n".join(m["content"] for m in msgs if m["content"]), None)
    if inp is None and isinstance(attrs.get("input.value"), str):
        inp = attrs["input.value"]
    if out is None and isinstance(attrs.get("output.value"), str):
        out = (attrs["output.value"], None)
    finish = (attrs.get("gen_ai.response.finish_reasons") or attrs.get("llm.finish_reason")
              or attrs.get("anthropic.message.stop_reason"))
    if isinstance(finish, list):
        finish = to_str(finish[0]) if finish else None
    op = operation(attrs) or "chat"
    metadata: dict[str, Any] = {"trace_id": v.trace_id, "span_id": v.span_id,
                                "span_name": v.name}
    if v.parent_span_id:
        metadata["parent_span_id"] = v.parent_span_id
    for attr, name in _METADATA_ATTRS.items():
        if (value := attrs.get(attr)) is not None:
            metadata[name] = value
    if "response_id" not in metadata:
        rid = _json_field(attrs.get("output.value"), "id")  # OpenInference
        if rid:
            metadata["response_id"] = rid
    if op in EMBEDDING_OPS:
        metadata["operation"] = "embeddings"
    for attr, name in RESOURCE_METADATA.items():
        if (value := v.resource.get(attr)) is not None:
            metadata.setdefault(name, to_str(value))
    user = amap.pick(amap.user, attrs, v.resource)
    if user is not None:
        metadata["user"] = to_str(user)
    fields: dict[str, Any] = {
        "id": oid,
        "ts": start / 1e9,
        "model": to_str(attrs.get("gen_ai.response.model") or attrs.get("gen_ai.request.model")
                        or attrs.get("llm.model_name") or attrs.get("llm.response.model_name")
                        or attrs.get("llm.request.model_name")
                        or _json_field(attrs.get("llm.invocation_parameters"), "model")),
        "provider": (attrs.get("gen_ai.provider.name") or attrs.get("gen_ai.system")
                     or attrs.get("llm.provider") or attrs.get("llm.system")),
        "input": inp,
        "output": out[0] if out else "",
        "finish_reason": (to_str(finish) or None) if finish else (out[1] if out else None),
        "usage": usage_of(attrs, v.path),
        "latency_ms": (end - start) / 1e6 if end else None,
        "metadata": metadata,
    }
    for label in ("task", "prompt_version", "variant"):
        value = amap.pick(getattr(amap, label), attrs, v.resource)
        if value is not None:
            fields[label] = to_str(value)
    tags = amap.pick(amap.tags, attrs, v.resource)
    if tags is not None:
        fields["tags"] = tag_list(tags, FMT, "evaltop.tags")
    fields.update(billing_of(attrs, v.path))
    if v.status_code == STATUS_ERROR:
        fields["error"] = to_str(v.status_message or attrs.get("error.type")) or "error"
    elif attrs.get("error.type") is not None:
        fields["error"] = to_str(attrs["error.type"])
    return fields


def _json_field(value: Any, key: str) -> str:
    """A string field of a JSON object held in a string attribute ('' if none)."""
    if not isinstance(value, str) or not value.startswith("{") or f'"{key}"' not in value:
        return ""
    try:
        obj = orjson.loads(value)
    except orjson.JSONDecodeError:
        return ""
    found = obj.get(key) if isinstance(obj, dict) else None
    return found if isinstance(found, str) else ""


def _openinference_messages(attrs: dict, prefix: str) -> list[dict[str, str]] | None:
    """``llm.input_messages.N.message.role|content`` in index order."""
    found: dict[int, dict[str, Any]] = {}
    head = prefix + "."
    for key, value in attrs.items():
        if key.startswith(head):
            idx, _, rest = key[len(head):].partition(".")
            if idx.isdigit() and rest.startswith("message."):
                found.setdefault(int(idx), {})[rest[len("message."):]] = value
    if not found:
        return None
    out = []
    for i in sorted(found):
        f = found[i]
        text = f.get("content")
        if text is None and "contents.0.message_content.text" in f:
            parts = sorted(k for k in f if k.endswith(".message_content.text"))
            text = "\n".join(to_str(f[k]) for k in parts)
        out.append({"role": to_str(f.get("role")) or "user", "content": to_str(text)})
    return out


def usage_of(attrs: dict[str, Any], path: str) -> dict[str, int] | None:
    """GenAI usage attributes; ``None`` when the span reports no token counts."""
    counts = {}
    for fld, names in _USAGE_ATTRS.items():
        for name in names:
            if name in attrs:
                n = attrs[name]
                # a plain count as is; anything else checked (its reason names the key)
                counts[fld] = (n if type(n) is int and n >= 0 else
                               to_int(n, FMT, f"{path} attribute {name}".strip()))
                break
    if "input_tokens" not in counts and "output_tokens" not in counts:
        return None
    split = [n for n in _WRITE_1H_ATTRS + _WRITE_5M_ATTRS if n in attrs]
    if split:  # the TTL split of cache writes (Anthropic's cache_creation object)
        w1h = next((n for n in _WRITE_1H_ATTRS if n in attrs), None)
        w5m = next((n for n in _WRITE_5M_ATTRS if n in attrs), None)
        one_h = to_int(attrs[w1h], FMT, f"{path} attribute {w1h}".strip()) if w1h else 0
        five_m = to_int(attrs[w5m], FMT, f"{path} attribute {w5m}".strip()) if w5m else 0
        if "cache_write_tokens" not in counts:
            counts["cache_write_tokens"] = one_h + five_m
        counts["cache_write_1h_tokens"] = one_h
    cache = counts.get("cached_input_tokens", 0) + counts.get("cache_write_tokens", 0)
    if cache > counts.get("input_tokens", 0):
        # An instrumentation that copied the provider's exclusive input count.
        counts["input_tokens"] = counts.get("input_tokens", 0) + cache
    return usage(FMT, **counts)


def billing_of(attrs: dict[str, Any], path: str) -> dict[str, Any]:
    """The service tier and batch flag a span reports (they choose the rates)."""
    out: dict[str, Any] = {}
    tier = next((attrs[n] for n in SERVICE_TIER_ATTRS if attrs.get(n) is not None), None)
    if tier is not None:
        out["service_tier"] = to_str(tier)
    for name in BATCH_ATTRS:
        value = attrs.get(name)
        if value is not None:
            if not isinstance(value, bool):
                fail(FMT, f"{path} attribute {name}: expected a boolean, got {value!r}".strip())
            out["batch"] = value
            break
    return out


def evaluation(attrs: dict[str, Any], fid: str, oid: str, when_ns: int,
                source: str) -> Feedback:
    name = to_str(attrs.get("gen_ai.evaluation.name")) or "evaluation"
    value = attrs.get("gen_ai.evaluation.score.value")
    if value is None:
        value = attrs.get("gen_ai.evaluation.score.label")
    if isinstance(value, dict | list | bytes):
        fail(FMT, f"gen_ai.evaluation.score.value of {name!r} must be a number or label")
    return build_feedback(FMT, {
        "id": fid, "output_id": oid, "name": name,
        "ts": when_ns / 1e9 if when_ns else time.time(), "value": value, "source": source,
    })


__all__ = ["AttributeMap", "Content", "Mapped", "map_span", "messages", "output_id",
           "usage_of"]
