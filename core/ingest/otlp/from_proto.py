"""OTLP protobuf bodies to views, with the official ``opentelemetry-proto``
messages.

A body the protobuf runtime refuses as a whole (a truncated request, one
string that is not UTF-8) is not thrown away: the request is split at the
wire level into its resource, scope and item messages, each parsed on its
own, so only the broken items are rejected and their neighbours are kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import InstrumentationScope
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from evaltop.core.ingest.otlp.values import (
    MAX_DEPTH,
    MAX_ITEMS,
    MAX_TEXT,
    Notes,
    clamp_bytes,
    clamp_text,
)
from evaltop.core.ingest.otlp.views import ItemError, LogView, SpanView


class Undecodable(ValueError):
    """Nothing of the body could be decoded."""


_PLAIN = frozenset({"int_value", "double_value", "bool_value"})


def any_value(v, key: str, notes: Notes, depth: int = 0, index: int | None = None) -> Any:
    """``v`` as a plain value; ``key`` (with ``[index]`` inside an array,
    spelt out only when a note needs it) names it in notes."""
    kind = v.WhichOneof("value")
    if kind == "string_value":
        s = v.string_value
        return s if len(s) <= MAX_TEXT else clamp_text(s, _where(key, index), notes)
    if kind in _PLAIN:
        return getattr(v, kind)
    if kind is None:
        return None
    where = _where(key, index)
    if depth >= MAX_DEPTH:
        notes.add(f"{where}: nested deeper than {MAX_DEPTH} levels, dropped")
        return None
    if kind == "array_value":
        values = v.array_value.values
        if len(values) > MAX_ITEMS:
            notes.add(f"{where}: array of {len(values):,} values cut to {MAX_ITEMS:,}")
            values = values[:MAX_ITEMS]
        return [any_value(x, where, notes, depth + 1, i) for i, x in enumerate(values)]
    if kind == "kvlist_value":
        return attributes(v.kvlist_value.values, where, notes, depth + 1)
    if kind == "bytes_value":
        return clamp_bytes(v.bytes_value, where, notes)
    return None


def _where(key: str, index: int | None) -> str:
    return key if index is None else f"{key}[{index}]"


def attributes(kvs, key: str, notes: Notes, depth: int = 0) -> dict[str, Any]:
    if len(kvs) > MAX_ITEMS:
        notes.add(f"{key}: {len(kvs):,} attributes cut to {MAX_ITEMS:,}")
        kvs = kvs[:MAX_ITEMS]
    out = {}
    for kv in kvs:
        v = kv.value
        # the common scalar cases inline: this loop runs for every attribute
        kind = v.WhichOneof("value")
        if kind == "string_value":
            s = v.string_value
            out[kv.key] = s if len(s) <= MAX_TEXT else clamp_text(s, kv.key, notes)
        elif kind in _PLAIN:
            out[kv.key] = getattr(v, kind)
        else:
            out[kv.key] = any_value(v, kv.key, notes, depth)
    return out


class BadId(ValueError):
    pass


def _id(raw: bytes, size: int, what: str, *, required: bool) -> str:
    if not raw:
        if required:
            raise BadId(f"{what} missing")
        return ""
    if len(raw) != size:
        raise BadId(f"{what} must be {size} bytes, got {len(raw)}")
    if not raw.strip(b"\0"):
        raise BadId(f"{what} must not be all zeros")
    return raw.hex()


def _span(span: Span, path: str, resource: dict, scope: str) -> SpanView:
    notes = Notes()
    events = [
        (ev.name, attributes(ev.attributes, f"events[{n}].attributes", notes), ev.time_unix_nano)
        for n, ev in enumerate(span.events)
    ]
    return SpanView(
        trace_id=_id(span.trace_id, 16, "traceId", required=False),
        span_id=_id(span.span_id, 8, "spanId", required=True),
        parent_span_id=_id(span.parent_span_id, 8, "parentSpanId", required=False),
        name=span.name,
        start_ns=span.start_time_unix_nano,
        end_ns=span.end_time_unix_nano,
        status_code=span.status.code,
        status_message=span.status.message,
        attrs=attributes(span.attributes, "attributes", notes),
        events=events,
        resource=resource,
        scope=scope,
        path=path,
        notes=notes.items,
    )


def _log(rec: LogRecord, path: str, resource: dict, scope: str) -> LogView:
    notes = Notes()
    attrs = attributes(rec.attributes, "attributes", notes)
    event = rec.event_name or attrs.get("event.name") or ""
    return LogView(
        trace_id=_id(rec.trace_id, 16, "traceId", required=False),
        span_id=_id(rec.span_id, 8, "spanId", required=False),
        time_ns=rec.time_unix_nano,
        observed_ns=rec.observed_time_unix_nano,
        event_name=event if isinstance(event, str) else "",
        body=any_value(rec.body, "body", notes) if rec.HasField("body") else None,
        attrs=attrs,
        resource=resource,
        scope=scope,
        path=path,
        notes=notes.items,
    )


# ---- the wire-level split, used only when the whole body fails to parse ----

def _varint(buf: bytes, i: int) -> tuple[int, int]:
    shift = value = 0
    while True:
        if i >= len(buf) or shift > 63:
            raise DecodeError("truncated varint")
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, i
        shift += 7


def fields(buf: bytes) -> Iterator[tuple[int, bytes | None, bool]]:
    """(field number, bytes of a length-delimited field or None, cut) in
    order. A length-delimited field that runs past the end is yielded with
    what is there and ``cut`` true, and ends the walk; a malformed tag raises
    DecodeError after the fields before it."""
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            _, i = _varint(buf, i)
            yield number, None, False
        elif wire in (1, 5):
            i += 8 if wire == 1 else 4
            if i > len(buf):
                raise DecodeError("truncated fixed-size field")
            yield number, None, False
        elif wire == 2:
            n, i = _varint(buf, i)
            if i + n > len(buf):
                yield number, buf[i:], True
                return
            yield number, buf[i:i + n], False
            i += n
        else:
            raise DecodeError(f"unsupported wire type {wire}")


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return f"undecodable protobuf ({text[:200]})"


class _Kind:
    """What differs between a trace and a logs request."""

    def __init__(self, request, resource_cls, scope_cls, item_cls, top: str, scopes: str,
                 items: str, make: Callable) -> None:
        self.request, self.resource_cls, self.scope_cls, self.item_cls = (
            request, resource_cls, scope_cls, item_cls)
        self.top, self.scopes, self.items, self.make = top, scopes, items, make


_TRACES = _Kind(ExportTraceServiceRequest, ResourceSpans, ScopeSpans, Span,
                "resourceSpans", "scopeSpans", "spans", _span)
_LOGS = _Kind(ExportLogsServiceRequest, ResourceLogs, ScopeLogs, LogRecord,
              "resourceLogs", "scopeLogs", "logRecords", _log)


def _views(k: _Kind, resources) -> Iterator[SpanView | LogView | ItemError]:
    for i, rs in enumerate(resources):
        yield from _views_of(k, rs, f"{k.top}[{i}]")


def _views_of(k: _Kind, rs, where: str) -> Iterator[SpanView | LogView | ItemError]:
    resource = attributes(rs.resource.attributes, "resource.attributes", Notes())
    for j, sc in enumerate(getattr(rs, _SNAKE[k.scopes])):
        yield from _items(k, sc, f"{where}.{k.scopes}[{j}]", resource)


_SNAKE = {"scopeSpans": "scope_spans", "scopeLogs": "scope_logs", "spans": "spans",
          "logRecords": "log_records"}


def _items(k: _Kind, sc, where: str, resource: dict):
    scope = sc.scope.name
    for n, item in enumerate(getattr(sc, _SNAKE[k.items])):
        path = f"{where}.{k.items}[{n}]"
        try:
            yield k.make(item, path, resource, scope)
        except BadId as exc:
            yield ItemError(path, str(exc))


def _salvage(k: _Kind, body: bytes, first: Exception) -> Iterator[SpanView | LogView | ItemError]:
    """Parse what can be parsed of a body the runtime refused whole."""
    out: list[SpanView | LogView | ItemError] = []
    i = 0
    try:
        for number, chunk, cut in fields(body):
            if number == 1 and chunk is not None:
                out += _salvage_resource(k, chunk, cut, f"{k.top}[{i}]")
                i += 1
    except DecodeError as exc:
        out.append(ItemError(f"{k.top}[{i}]", _reason(exc)))
    if not any(not isinstance(v, ItemError) for v in out):
        raise Undecodable(_reason(first))
    return iter(out)


def _salvage_resource(k: _Kind, chunk: bytes, cut: bool, where: str) -> list:
    if not cut:
        try:
            rs = k.resource_cls.FromString(chunk)
        except DecodeError:
            pass
        else:
            return list(_views_of(k, rs, where))
    out: list = []
    resource: dict = {}
    j = 0
    try:
        for number, part, part_cut in fields(chunk):
            if number == 1 and part is not None:
                try:
                    resource = attributes(Resource.FromString(part).attributes,
                                          "resource.attributes", Notes())
                except DecodeError as exc:
                    out.append(ItemError(f"{where}.resource", _reason(exc)))
            elif number == 2 and part is not None:
                out += _salvage_scope(k, part, part_cut, f"{where}.{k.scopes}[{j}]", resource)
                j += 1
    except DecodeError as exc:
        out.append(ItemError(f"{where}.{k.scopes}[{j}]", _reason(exc)))
    return out


def _salvage_scope(k: _Kind, chunk: bytes, cut: bool, where: str, resource: dict) -> list:
    if not cut:
        try:
            sc = k.scope_cls.FromString(chunk)
        except DecodeError:
            pass
        else:
            return list(_items(k, sc, where, resource))
    out: list = []
    scope = ""
    n = 0
    last_cut = False
    try:
        for number, part, part_cut in fields(chunk):
            if number == 1 and part is not None:
                try:
                    scope = InstrumentationScope.FromString(part).name
                except DecodeError:
                    scope = ""
            elif number == 2 and part is not None:
                path = f"{where}.{k.items}[{n}]"
                n += 1
                last_cut = part_cut
                if part_cut:  # what is there may parse, but it is not the whole item
                    out.append(ItemError(path, "request cut short inside this item"))
                    continue
                try:
                    item = k.item_cls.FromString(part)
                    out.append(k.make(item, path, resource, scope))
                except DecodeError as exc:
                    out.append(ItemError(path, _reason(exc)))
                except BadId as exc:
                    out.append(ItemError(path, str(exc)))
    except DecodeError as exc:
        out.append(ItemError(f"{where}.{k.items}[{n}]", _reason(exc)))
    else:
        if cut and not last_cut:
            out.append(ItemError(f"{where}.{k.items}[{n}]", "request cut short here"))
    return out


def _decode(k: _Kind, body: bytes) -> list[SpanView | LogView | ItemError]:
    try:
        req = k.request.FromString(body)
    except DecodeError as exc:
        return list(_salvage(k, body, exc))
    except RecursionError:
        raise Undecodable("undecodable protobuf (nested too deeply)") from None
    return list(_views(k, getattr(req, "resource_spans" if k is _TRACES else "resource_logs")))


def spans(body: bytes) -> list[SpanView | ItemError]:
    """Every span of an ``ExportTraceServiceRequest``; raises
    :class:`Undecodable` when not even one resource of it can be read."""
    return _decode(_TRACES, body)  # type: ignore[return-value]


def logs(body: bytes) -> list[LogView | ItemError]:
    return _decode(_LOGS, body)  # type: ignore[return-value]
