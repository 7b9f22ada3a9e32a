"""OTLP/JSON to views: the Collector file exporter's lines and the JSON bodies
of OTLP/HTTP.

OTLP/JSON is the protobuf JSON mapping with two changes: trace and span ids
are hex strings, and enum values are integers. Field names are lowerCamelCase;
the original snake_case names are accepted too, as the protobuf JSON mapping
requires of a parser. 64-bit integers may be strings. A span or log record
that breaks these rules becomes an :class:`ItemError`; its neighbours still
decode.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from typing import Any

from evaltop.core.ingest.otlp.values import (
    MAX_DEPTH,
    MAX_ITEMS,
    Notes,
    clamp_bytes,
    clamp_text,
)
from evaltop.core.ingest.otlp.views import ItemError, LogView, SpanView


class BadItem(ValueError):
    """One field of one item is not what OTLP/JSON promises."""


def _get(d: dict, camel: str, snake: str | None = None) -> Any:
    v = d.get(camel)
    if v is None and snake is not None:
        v = d.get(snake)
    return v


def _list(d: dict, camel: str, snake: str | None, where: str) -> list:
    v = _get(d, camel, snake)
    if v is None:
        return []
    if not isinstance(v, list):
        raise BadItem(f"{where + '.' if where else ''}{camel} must be an array")
    return v


def any_value(v: Any, key: str, notes: Notes, depth: int = 0) -> Any:
    """One AnyValue as a plain Python value (None when empty or unknown)."""
    if not isinstance(v, dict):
        if isinstance(v, str):
            return clamp_text(v, key, notes)
        return v  # already plain (some exporters write bare values)
    if depth > MAX_DEPTH:
        notes.add(f"{key}: nested deeper than {MAX_DEPTH} levels, dropped")
        return None
    if "stringValue" in v or "string_value" in v:
        s = _get(v, "stringValue", "string_value")
        if not isinstance(s, str):
            raise BadItem(f"{key}: stringValue must be a string")
        return clamp_text(s, key, notes)
    if "intValue" in v or "int_value" in v:
        iv = _get(v, "intValue", "int_value")
        if isinstance(iv, bool) or not isinstance(iv, int | str):
            raise BadItem(f"{key}: intValue must be an integer")
        try:
            return int(iv)
        except ValueError:
            raise BadItem(f"{key}: intValue must be an integer, got {str(iv)[:30]!r}") from None
    if "doubleValue" in v or "double_value" in v:
        dv = _get(v, "doubleValue", "double_value")
        if isinstance(dv, bool) or not isinstance(dv, int | float | str):
            raise BadItem(f"{key}: doubleValue must be a number")
        try:
            return float(dv)
        except ValueError:
            raise BadItem(f"{key}: doubleValue must be a number") from None
    if "boolValue" in v or "bool_value" in v:
        bv = _get(v, "boolValue", "bool_value")
        if not isinstance(bv, bool):
            raise BadItem(f"{key}: boolValue must be true or false")
        return bv
    if "arrayValue" in v or "array_value" in v:
        arr = _get(v, "arrayValue", "array_value") or {}
        values = arr.get("values") if isinstance(arr, dict) else None
        if values is None:
            return []
        if not isinstance(values, list):
            raise BadItem(f"{key}: arrayValue.values must be an array")
        if len(values) > MAX_ITEMS:
            notes.add(f"{key}: array of {len(values):,} values cut to {MAX_ITEMS:,}")
            values = values[:MAX_ITEMS]
        return [any_value(x, f"{key}[{i}]", notes, depth + 1) for i, x in enumerate(values)]
    if "kvlistValue" in v or "kvlist_value" in v:
        kv = _get(v, "kvlistValue", "kvlist_value") or {}
        values = kv.get("values") if isinstance(kv, dict) else None
        return attributes(values, key, notes, depth + 1)
    if "bytesValue" in v or "bytes_value" in v:
        raw = _get(v, "bytesValue", "bytes_value")
        if not isinstance(raw, str):
            raise BadItem(f"{key}: bytesValue must be a base64 string")
        try:
            return clamp_bytes(base64.b64decode(raw, validate=True), key, notes)
        except binascii.Error:
            raise BadItem(f"{key}: bytesValue must be base64") from None
    return None


def attributes(attrs: Any, key: str, notes: Notes, depth: int = 0) -> dict[str, Any]:
    """``[{key, value}]`` (or an already-flat object) as a dict."""
    if attrs is None:
        return {}
    if isinstance(attrs, dict):
        return dict(attrs)
    if not isinstance(attrs, list):
        raise BadItem(f"{key} must be an array of {{key, value}}")
    if len(attrs) > MAX_ITEMS:
        notes.add(f"{key}: {len(attrs):,} attributes cut to {MAX_ITEMS:,}")
        attrs = attrs[:MAX_ITEMS]
    out = {}
    for i, kv in enumerate(attrs):
        if not isinstance(kv, dict) or not isinstance(kv.get("key"), str):
            raise BadItem(f"{key}[{i}] must be an object with a string key")
        out[kv["key"]] = any_value(kv.get("value"), kv["key"], notes, depth)
    return out


def hex_id(value: Any, size: int, what: str, *, required: bool) -> str:
    """A trace (16 bytes) or span (8 bytes) id as lower-case hex; '' if absent
    and allowed. All-zero ids are invalid per the specification."""
    if value in (None, ""):
        if required:
            raise BadItem(f"{what} missing")
        return ""
    if not isinstance(value, str) or len(value) != 2 * size:
        raise BadItem(f"{what} must be {2 * size} hex digits ({size} bytes)")
    try:
        bytes.fromhex(value)
    except ValueError:
        raise BadItem(f"{what} must be {2 * size} hex digits ({size} bytes)") from None
    if value.strip("0") == "":
        raise BadItem(f"{what} must not be all zeros")
    return value.lower()


def nanos(value: Any, what: str) -> int:
    if value in (None, ""):
        return 0
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise BadItem(f"{what} must be an integer (nanoseconds)")
    try:
        n = int(value)
    except ValueError:
        raise BadItem(f"{what} must be an integer (nanoseconds)") from None
    if n < 0:
        raise BadItem(f"{what} must not be negative")
    return n


def _status(span: dict, path: str) -> tuple[int, str]:
    st = span.get("status") or {}
    if not isinstance(st, dict):
        raise BadItem(f"{path}.status must be an object")
    code = st.get("code", 0)
    if code in ("STATUS_CODE_ERROR", "2"):
        code = 2
    elif code in ("STATUS_CODE_OK", "1"):
        code = 1
    elif not isinstance(code, int) or isinstance(code, bool):
        code = 0
    msg = st.get("message")
    return code, msg if isinstance(msg, str) else ""


def _resources(obj: dict, top: str, snake_top: str, scope_camel: str, scope_snake: str,
               legacy: str | None) -> Iterator[tuple[str, dict, dict, str, list]]:
    """(path, resource attributes, scope dict, scope name, items) per scope."""
    for i, rs in enumerate(_list(obj, top, snake_top, "")):
        where = f"{top}[{i}]"
        if not isinstance(rs, dict):
            raise BadItem(f"{where} must be an object")
        notes = Notes()
        res = rs.get("resource") or {}
        resource = attributes(res.get("attributes") if isinstance(res, dict) else None,
                              f"{where}.resource.attributes", notes)
        scopes = _list(rs, scope_camel, scope_snake, where)
        if not scopes and legacy:
            scopes = _list(rs, legacy, None, where)
        for j, sc in enumerate(scopes):
            if not isinstance(sc, dict):
                raise BadItem(f"{where}.{scope_camel}[{j}] must be an object")
            scope = sc.get("scope") or sc.get("instrumentationLibrary") or {}
            name = scope.get("name") if isinstance(scope, dict) else ""
            yield (f"{where}.{scope_camel}[{j}]", resource, sc,
                   name if isinstance(name, str) else "", notes.items)


def spans(obj: dict) -> Iterator[SpanView | ItemError]:
    """Every span of an ``ExportTraceServiceRequest`` in OTLP/JSON.
    Raises :class:`BadItem` when the request's own structure is broken."""
    for where, resource, sc, scope, _ in _resources(
        obj, "resourceSpans", "resource_spans", "scopeSpans", "scope_spans",
        "instrumentationLibrarySpans",
    ):
        for k, span in enumerate(_list(sc, "spans", None, where)):
            path = f"{where}.spans[{k}]"
            try:
                yield span_view(span, path, resource, scope)
            except BadItem as exc:
                yield ItemError(path, str(exc))


def span_view(span: Any, path: str, resource: dict, scope: str) -> SpanView:
    if not isinstance(span, dict):
        raise BadItem(f"{path} must be an object")
    notes = Notes()
    attrs = attributes(span.get("attributes"), "attributes", notes)
    events = []
    for n, ev in enumerate(_list(span, "events", None, path)):
        if not isinstance(ev, dict):
            raise BadItem(f"{path}.events[{n}] must be an object")
        name = ev.get("name")
        events.append((
            name if isinstance(name, str) else "",
            attributes(ev.get("attributes"), f"events[{n}].attributes", notes),
            nanos(_get(ev, "timeUnixNano", "time_unix_nano"), f"events[{n}].timeUnixNano"),
        ))
    code, message = _status(span, path)
    name = span.get("name")
    view = SpanView(
        trace_id=hex_id(_get(span, "traceId", "trace_id"), 16, "traceId", required=False),
        span_id=hex_id(_get(span, "spanId", "span_id"), 8, "spanId", required=True),
        parent_span_id=hex_id(
            _get(span, "parentSpanId", "parent_span_id"), 8, "parentSpanId", required=False
        ),
        name=name if isinstance(name, str) else "",
        start_ns=nanos(_get(span, "startTimeUnixNano", "start_time_unix_nano"),
                       "startTimeUnixNano"),
        end_ns=nanos(_get(span, "endTimeUnixNano", "end_time_unix_nano"), "endTimeUnixNano"),
        status_code=code,
        status_message=message,
        attrs=attrs,
        events=events,
        resource=resource,
        scope=scope,
        path=path,
        notes=notes.items,
    )
    return view


def logs(obj: dict) -> Iterator[LogView | ItemError]:
    """Every log record of an ``ExportLogsServiceRequest`` in OTLP/JSON."""
    for where, resource, sc, scope, _ in _resources(
        obj, "resourceLogs", "resource_logs", "scopeLogs", "scope_logs", None
    ):
        for k, rec in enumerate(_list(sc, "logRecords", "log_records", where)):
            path = f"{where}.logRecords[{k}]"
            try:
                yield log_view(rec, path, resource, scope)
            except BadItem as exc:
                yield ItemError(path, str(exc))


def log_view(rec: Any, path: str, resource: dict, scope: str) -> LogView:
    if not isinstance(rec, dict):
        raise BadItem(f"{path} must be an object")
    notes = Notes()
    attrs = attributes(rec.get("attributes"), "attributes", notes)
    event = _get(rec, "eventName", "event_name") or attrs.get("event.name") or ""
    body = rec.get("body")
    return LogView(
        trace_id=hex_id(_get(rec, "traceId", "trace_id"), 16, "traceId", required=False),
        span_id=hex_id(_get(rec, "spanId", "span_id"), 8, "spanId", required=False),
        time_ns=nanos(_get(rec, "timeUnixNano", "time_unix_nano"), "timeUnixNano"),
        observed_ns=nanos(_get(rec, "observedTimeUnixNano", "observed_time_unix_nano"),
                          "observedTimeUnixNano"),
        event_name=event if isinstance(event, str) else "",
        body=None if body is None else any_value(body, "body", notes),
        attrs=attrs,
        resource=resource,
        scope=scope,
        path=path,
        notes=notes.items,
    )
