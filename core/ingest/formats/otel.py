"""OpenTelemetry GenAI spans in OTLP/JSON file-exporter lines (``resourceSpans``).

One line may hold many spans; only inference spans become outputs: those whose
``gen_ai.operation.name`` is an inference operation, or, without an operation
name, that carry a GenAI model and token usage. ``gen_ai.evaluation.result``
span events become feedback about the span's output. Accounting:
``gen_ai.usage.input_tokens`` (legacy ``prompt_tokens``) already includes
cached tokens.
"""

from __future__ import annotations

from typing import Any

from evaltop.core.ingest.formats.common import (
    build_feedback,
    complete,
    fail,
    get_dict,
    get_list,
    ingest_time,
    to_int,
    to_str,
    usage,
)
from evaltop.core.ingest.formats.otel_attrs import attr_map, conversation
from evaltop.core.ingest.formats.pairs import tag_list
from evaltop.core.model.records import Feedback, LoggedOutput

FMT = "otel"
INFERENCE_OPS = frozenset(
    {"chat", "text_completion", "generate_content", "completion", "responses"}
)
_ERROR_CODES = (2, "2", "STATUS_CODE_ERROR")
_USAGE_ATTRS = {
    "input_tokens": ("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"),
    "output_tokens": ("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens"),
    "cached_input_tokens": (
        "gen_ai.usage.cache_read.input_tokens",
        "gen_ai.usage.cache_read_input_tokens",
    ),
    "cache_write_tokens": (
        "gen_ai.usage.cache_creation.input_tokens",
        "gen_ai.usage.cache_creation_input_tokens",
    ),
    "reasoning_tokens": ("gen_ai.usage.reasoning.output_tokens",),
}
_METADATA_ATTRS = {
    "gen_ai.operation.name": "operation",
    "gen_ai.conversation.id": "conversation_id",
    "gen_ai.response.id": "response_id",
    "gen_ai.agent.name": "agent",
    "server.address": "server_address",
}


def parse(obj: dict, *, source: str = "", line_hash: str = "") -> list[LoggedOutput | Feedback]:
    if "resourceSpans" not in obj:
        if "resourceLogs" in obj:
            return _log_evaluations(obj, source)
        if "resourceMetrics" in obj:
            return []  # metrics from the same exporter file: valid, no outputs
        fail(FMT, "resourceSpans missing (an OTLP/JSON file-exporter line was expected)")
    out: list[LoggedOutput | Feedback] = []
    scopes = ("scopeSpans", "instrumentationLibrarySpans")
    for path, span, resource in _items(obj, "resourceSpans", scopes, "spans"):
        out += _span(span, path, resource.get("service.name"), source)
    return out


def _items(obj: dict, top: str, scope_keys: tuple[str, ...], leaf: str):
    """(path, item, resource attributes) for every span or log record of a line."""
    for i, rs in enumerate(get_list(obj, top, FMT)):
        if not isinstance(rs, dict):
            fail(FMT, f"{top}[{i}] must be an object")
        resource = attr_map(get_dict(rs, "resource", FMT).get("attributes"), "resource.attributes")
        key = next((k for k in scope_keys if k in rs), scope_keys[0])
        for j, scope in enumerate(get_list(rs, key, FMT, f"{top}[{i}].")):
            if not isinstance(scope, dict):
                fail(FMT, f"{top}[{i}].{key}[{j}] must be an object")
            for k, item in enumerate(get_list(scope, leaf, FMT)):
                path = f"{top}[{i}].{key}[{j}].{leaf}[{k}]"
                if not isinstance(item, dict):
                    fail(FMT, f"{path} must be an object")
                yield path, item, resource


def _span(span: dict, path: str, service: Any, source: str) -> list[LoggedOutput | Feedback]:
    span_id = span.get("spanId")
    if not isinstance(span_id, str) or not span_id:
        fail(FMT, f"{path}.spanId missing")
    attrs = attr_map(span.get("attributes"), f"{path}.attributes")
    events = []
    for n, ev in enumerate(get_list(span, "events", FMT, f"{path}.")):
        if not isinstance(ev, dict):
            fail(FMT, f"{path}.events[{n}] must be an object")
        eattrs = attr_map(ev.get("attributes"), f"{path}.events[{n}].attributes")
        if ev.get("name") == "gen_ai.client.inference.operation.details":
            for key, value in eattrs.items():
                attrs.setdefault(key, value)
        events.append((to_str(ev.get("name")), eattrs, ev.get("timeUnixNano")))
    start = to_int(span.get("startTimeUnixNano"), FMT, f"{path}.startTimeUnixNano")
    end = to_int(span.get("endTimeUnixNano"), FMT, f"{path}.endTimeUnixNano")
    records: list[LoggedOutput | Feedback] = []
    inference = is_inference(attrs)
    if inference:
        records.append(_output(span, span_id, attrs, events, start, end, service, path, source))
    target = span_id if inference else to_str(span.get("parentSpanId"))
    for n, (name, eattrs, t) in enumerate(events):
        if name == "gen_ai.evaluation.result" and target:
            when = to_int(t, FMT, f"{path}.events[{n}].timeUnixNano") or end or start
            records.append(_evaluation(eattrs, f"{span_id}:eval:{n}", target, when, source))
    return records


def is_inference(attrs: dict[str, Any]) -> bool:
    op = attrs.get("gen_ai.operation.name") or attrs.get("llm.request.type")
    if op:
        return isinstance(op, str) and op in INFERENCE_OPS
    has_model = "gen_ai.request.model" in attrs or "gen_ai.response.model" in attrs
    return has_model and any(a in attrs for names in _USAGE_ATTRS.values() for a in names)


def _output(span, span_id, attrs, events, start, end, service, path, source) -> LoggedOutput:
    inp, out = conversation(attrs, [(n, a) for n, a, _ in events])
    finish = attrs.get("gen_ai.response.finish_reasons")
    if isinstance(finish, list):
        finish = to_str(finish[0]) if finish else None
    metadata: dict[str, Any] = {
        "trace_id": to_str(span.get("traceId")),
        "span_name": to_str(span.get("name")),
    }
    for attr, name in _METADATA_ATTRS.items():
        if attrs.get(attr) is not None:
            metadata[name] = attrs[attr]
    if span.get("parentSpanId"):
        metadata["parent_span_id"] = span["parentSpanId"]
    if service is not None:
        metadata["service"] = service
    fields: dict[str, Any] = {
        "id": span_id,
        "ts": start / 1e9 if start else (end / 1e9 if end else None),
        "model": to_str(attrs.get("gen_ai.response.model") or attrs.get("gen_ai.request.model")),
        "provider": attrs.get("gen_ai.provider.name") or attrs.get("gen_ai.system"),
        "input": inp,
        "output": out[0] if out else "",
        "finish_reason": (to_str(finish) or None) if finish else (out[1] if out else None),
        "usage": usage_of(attrs, path),
        "latency_ms": (end - start) / 1e6 if start and end >= start else None,
        "metadata": metadata,
    }
    for label in ("task", "prompt_version", "variant"):
        if attrs.get(f"evaltop.{label}") is not None:
            fields[label] = to_str(attrs[f"evaltop.{label}"])
    if attrs.get("evaltop.tags") is not None:
        fields["tags"] = tag_list(attrs["evaltop.tags"], FMT, "evaltop.tags")
    status = get_dict(span, "status", FMT, f"{path}.")
    if status.get("code") in _ERROR_CODES:
        fields["error"] = to_str(status.get("message") or attrs.get("error.type")) or "error"
    return complete(FMT, fields, {}, span, "", source)


def usage_of(attrs: dict[str, Any], path: str) -> dict[str, int] | None:
    """GenAI usage attributes; ``None`` when the span reports no token counts."""
    counts = {}
    for field, names in _USAGE_ATTRS.items():
        for name in names:
            if name in attrs:
                counts[field] = to_int(attrs[name], FMT, f"{path} attribute {name}")
                break
    if "input_tokens" not in counts and "output_tokens" not in counts:
        return None
    cache = counts.get("cached_input_tokens", 0) + counts.get("cache_write_tokens", 0)
    if cache > counts.get("input_tokens", 0):
        # An instrumentation that copied the provider's exclusive input count.
        counts["input_tokens"] = counts.get("input_tokens", 0) + cache
    return usage(FMT, **counts)


def _evaluation(
    attrs: dict[str, Any], fid: str, output_id: str, when_ns: int, source: str
) -> Feedback:
    name = to_str(attrs.get("gen_ai.evaluation.name")) or "evaluation"
    value = attrs.get("gen_ai.evaluation.score.value")
    if value is None:
        value = attrs.get("gen_ai.evaluation.score.label")
    if isinstance(value, dict | list):
        fail(FMT, f"gen_ai.evaluation.score.value of {name!r} must be a number or label")
    return build_feedback(
        FMT,
        {
            "id": fid,
            "output_id": output_id,
            "name": name,
            "ts": when_ns / 1e9 if when_ns else ingest_time(),
            "value": value,
            "source": source,
        },
    )


def _log_evaluations(obj: dict, source: str) -> list[Feedback]:
    """``gen_ai.evaluation.result`` log events (logs signal) about their span."""
    out = []
    for path, rec, _ in _items(obj, "resourceLogs", ("scopeLogs",), "logRecords"):
        attrs = attr_map(rec.get("attributes"), f"{path}.attributes")
        name = rec.get("eventName") or attrs.get("event.name")
        span_id = rec.get("spanId")
        if name != "gen_ai.evaluation.result" or not isinstance(span_id, str) or not span_id:
            continue
        when = to_int(
            rec.get("timeUnixNano") or rec.get("observedTimeUnixNano"), FMT, f"{path}.timeUnixNano"
        )
        fid = f"{span_id}:eval:{to_str(attrs.get('gen_ai.evaluation.name'))}:{when}"
        out.append(_evaluation(attrs, fid, span_id, when, source))
    return out
