"""The neutral shape of an OTLP span and log record.

Both wire encodings (protobuf, OTLP/JSON) decode to these, with ids as
lower-case hex, times as integer nanoseconds (0 when absent) and attribute
values as plain Python values (str, int, float, bool, bytes, list, dict).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

STATUS_ERROR = 2


@dataclass(slots=True)
class SpanView:
    trace_id: str
    span_id: str
    parent_span_id: str
    name: str
    start_ns: int
    end_ns: int
    status_code: int
    status_message: str
    attrs: dict[str, Any]
    # (name, attributes, time in ns) per span event
    events: list[tuple[str, dict[str, Any], int]] = field(default_factory=list)
    resource: dict[str, Any] = field(default_factory=dict)
    scope: str = ""
    path: str = ""  # where in the request: resourceSpans[i].scopeSpans[j].spans[k]
    notes: list[str] = field(default_factory=list)  # values clamped while decoding


@dataclass(slots=True)
class LogView:
    trace_id: str
    span_id: str
    time_ns: int
    observed_ns: int
    event_name: str
    body: Any
    attrs: dict[str, Any]
    resource: dict[str, Any] = field(default_factory=dict)
    scope: str = ""
    path: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ItemError:
    """One span or log record that could not be decoded; the rest can."""

    path: str
    reason: str
