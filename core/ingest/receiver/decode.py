"""One OTLP request body to records, item by item.

A span or log record that cannot be decoded or mapped is rejected with its
reason (the response's ``partial_success`` counts it); its neighbours are
kept. Only a body of which nothing can be decoded is an error (HTTP 400).
Log records whose body is one JSON log line (what a Collector's ``filelog``
receiver forwards) go through the same format detection as a tailed file;
the host that sent them (resource attributes) lands in the metadata.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field

import orjson

from evaltop.core.ingest.formats import FormatError, genai, genai_logs, parse_record
from evaltop.core.ingest.otlp import from_json, from_proto
from evaltop.core.ingest.otlp.views import ItemError, LogView
from evaltop.core.model.records import Feedback, LoggedOutput

TRACES, LOGS = "traces", "logs"


class Undecodable(ValueError):
    """Nothing in the body could be decoded; ``str()`` says why."""


@dataclass(frozen=True)
class MapContext:
    source: str = "otlp"
    amap: genai.AttributeMap = genai.DEFAULT_MAP
    feedback_events: frozenset[str] = frozenset()


@dataclass
class Decoded:
    kind: str
    # records, or the checked values of a call that reports its usage (genai_fast)
    outputs: list[LoggedOutput | dict] = field(default_factory=list)
    feedback: list[Feedback] = field(default_factory=list)
    content: list[genai.Content] = field(default_factory=list)
    rejects: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    items: int = 0  # spans or log records in the request
    ignored: int = 0  # valid, but not LLM calls
    notes: list[str] = field(default_factory=list)  # values clamped


def decode(kind: str, body: bytes, *, is_json: bool, ctx: MapContext,
           now_ns: int | None = None) -> Decoded:
    """Raises :class:`Undecodable`."""
    now_ns = time.time_ns() if now_ns is None else now_ns
    views = _json_views(kind, body) if is_json else _proto_views(kind, body)
    out = Decoded(kind)
    for seq, view in enumerate(views):
        out.items += 1
        if isinstance(view, ItemError):
            out.rejects.append((view.path, view.reason))
            continue
        try:
            if kind == TRACES:
                mapped = genai.map_span(view, source=ctx.source, amap=ctx.amap, now_ns=now_ns,
                                        values=True)
            else:
                mapped = _map_log(view, seq, ctx, now_ns)
        except FormatError as exc:
            out.rejects.append((view.path, str(exc)))
            continue
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError,
                RecursionError) as exc:
            # a shape no one foresaw: reject the item, never the request
            out.rejects.append((view.path, f"could not map ({type(exc).__name__}: {exc})"[:200]))
            continue
        if mapped.ignored:
            out.ignored += 1
        for rec in mapped.records:
            (out.feedback if isinstance(rec, Feedback) else out.outputs).append(rec)
        out.content += mapped.content
        out.notes += [f"{view.path}: {n}" for n in mapped.notes]
    return out


def _proto_views(kind: str, body: bytes):
    try:
        return from_proto.spans(body) if kind == TRACES else from_proto.logs(body)
    except from_proto.Undecodable as exc:
        raise Undecodable(str(exc)) from None


def _json_views(kind: str, body: bytes):
    try:
        obj = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise Undecodable(f"undecodable JSON ({exc})"[:200]) from None
    if not isinstance(obj, dict):
        raise Undecodable(f"expected a JSON object, got {type(obj).__name__}")
    try:
        return list(from_json.spans(obj) if kind == TRACES else from_json.logs(obj))
    except from_json.BadItem as exc:
        raise Undecodable(f"not an OTLP/JSON {kind} request: {exc}") from None
    except RecursionError:
        raise Undecodable("JSON nested too deeply") from None


def _map_log(view: LogView, seq: int, ctx: MapContext, now_ns: int) -> genai.Mapped:
    body = view.body
    if not view.event_name and isinstance(body, str) and body.lstrip()[:1] == "{":
        return _log_line(view, body)
    return genai_logs.map_log(view, source=ctx.source, seq=seq, amap=ctx.amap,
                         feedback_events=ctx.feedback_events, now_ns=now_ns)


_LINE_METADATA = {"log.file.name": "log_file", "log.file.path": "log_file"}


def _log_line(view: LogView, body: str) -> genai.Mapped:
    """A JSON log line forwarded by a Collector: parsed as a tailed file's
    line would be (format detected per line), under the source named by the
    record (``evaltop.source`` attribute, else ``log.file.name``)."""
    raw = body.strip().encode("utf-8", "surrogatepass")
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise FormatError(f"log record body is not a JSON log line ({exc})"[:200]) from None
    if not isinstance(obj, dict):
        raise FormatError("log record body is not a JSON object")
    source = str(view.attrs.get("evaltop.source") or "")
    records = parse_record(obj, "auto", source=source,
                           line_hash=hashlib.blake2b(raw, digest_size=16).hexdigest())
    extra = {}
    for attr, name in genai.RESOURCE_METADATA.items():
        if view.resource.get(attr) is not None:
            extra.setdefault(name, str(view.resource[attr]))
    for attr, name in _LINE_METADATA.items():
        if view.attrs.get(attr) is not None:
            extra.setdefault(name, str(view.attrs[attr]))
    for rec in records:
        if isinstance(rec, LoggedOutput) and extra:
            rec.metadata = {**extra, **rec.metadata}
    return genai.Mapped(records=records, ignored=not records)
