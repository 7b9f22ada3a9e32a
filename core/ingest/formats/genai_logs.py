"""Log records to evaltop records: the GenAI events of the logs signal.

``gen_ai.client.inference.operation.details`` is a whole call (same id as its
span, so the two are one output); per-message events (``gen_ai.user.message``,
``gen_ai.choice``, ...) are :class:`~.genai.Content` for the call their span
id names; ``gen_ai.evaluation.result`` and the event names mapped in
``[downstream]`` are feedback about that call.
"""

from __future__ import annotations

import time

from evaltop.core.ingest.formats.common import build_feedback, fail, to_str
from evaltop.core.ingest.formats.genai import (
    CHOICE_EVENT,
    DEFAULT_MAP,
    DETAILS_EVENT,
    EVALUATION_EVENT,
    FMT,
    MESSAGE_EVENTS,
    AttributeMap,
    Content,
    Mapped,
    evaluation,
    map_span,
    output_id,
)
from evaltop.core.ingest.formats.messages import content_text
from evaltop.core.ingest.formats.otel_attrs import json_or_text
from evaltop.core.ingest.otlp.views import LogView, SpanView


def map_log(v: LogView, *, source: str, seq: int, amap: AttributeMap = DEFAULT_MAP,
            feedback_events: frozenset[str] = frozenset(),
            now_ns: int | None = None) -> Mapped:
    """One log record: a whole call (the details event), conversation
    content of a call, feedback about a call, or ignored. Log lines a
    Collector forwards (a body that is one JSON log line) are not handled
    here: see :func:`evaltop.core.ingest.receiver.decode`."""
    m = Mapped(notes=list(v.notes))
    name = v.event_name
    when = v.time_ns or v.observed_ns
    oid = output_id(v.trace_id, v.span_id) if v.span_id else ""
    if name == DETAILS_EVENT:
        attrs = dict(v.attrs)
        if isinstance(v.body, dict):
            for key, value in v.body.items():
                attrs.setdefault(key, value)
        if not oid:
            fail(FMT, f"{DETAILS_EVENT} without a span id cannot be matched to its call")
        span = SpanView(v.trace_id, v.span_id, "", "", when, 0, 0, "", attrs,
                        resource=v.resource, scope=v.scope, path=v.path)
        got = map_span(span, source=source, amap=amap, now_ns=now_ns)
        got.notes[:0] = m.notes
        return got
    if name == EVALUATION_EVENT and oid:
        fid = f"{oid}:eval:{to_str(v.attrs.get('gen_ai.evaluation.name'))}:{when}"
        m.records.append(evaluation(v.attrs, fid, oid, when, source))
        return m
    if name in feedback_events and oid:
        value = v.attrs.get("value", v.body if isinstance(v.body, int | float | str) else None)
        if isinstance(value, dict | list | bytes):
            value = None
        m.records.append(build_feedback(FMT, {
            "id": f"{oid}:{name}:{when}", "output_id": oid, "name": name,
            "ts": when / 1e9 if when else time.time(), "value": value, "source": source,
        }))
        return m
    if oid and (name in MESSAGE_EVENTS or name == CHOICE_EVENT):
        m.content += _content(v, oid, name, seq)
        return m
    m.ignored = True
    return m


def _content(v: LogView, oid: str, name: str, seq: int) -> list[Content]:
    body = v.body if isinstance(v.body, dict) else {"content": v.body}
    when = v.time_ns or v.observed_ns
    order = (when // 1000) * 1000 + seq % 1000  # microseconds, then place: fits int64
    if name == CHOICE_EVENT:
        msg = body.get("message") if isinstance(body.get("message"), dict) else body
        text = _message_text(msg)
        finish = body.get("finish_reason")
        return [Content(oid, "output", order, to_str(msg.get("role")) or "assistant", text,
                        to_str(finish) or None)]
    role = to_str(body.get("role")) or MESSAGE_EVENTS[name]
    return [Content(oid, "input", order, role, _message_text(body))]


def _message_text(msg: dict) -> str:
    content = json_or_text(msg.get("content"))
    text = content if isinstance(content, str) else content_text(content, FMT, "content")
    lines = [text] if text else []
    calls = msg.get("tool_calls")
    if isinstance(calls, list):
        for call in calls:
            if isinstance(call, dict):
                fn = call.get("function") if isinstance(call.get("function"), dict) else call
                lines.append(f"tool_call {to_str(fn.get('name'))}"
                             f"({to_str(fn.get('arguments'))})")
    return "\n".join(lines)
