"""The OTLP receiver's fast path for an LLM call that reports its usage:
the fields ``genai.output_fields`` collected, checked here exactly as
``common.complete`` plus ``LoggedOutput`` validation would take them, and
handed on as the values ``prepare.values_row`` lays out as a row, with no
record built in between (on this path pydantic cost more than the mapping).

Anything not already in its validated form (a count that is not a plain
int, a message that is not role/content strings, no usage to price) gives
None, and the caller validates the record as usual, which then stores it or
rejects it with its precise reason. tests/test_receiver_fastpath.py proves
the rows equal to the record's.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from evaltop.core.ingest.formats.common import to_str
from evaltop.core.ingest.formats.providers import provider_name
from evaltop.core.model.records import parse_ts

# every key output_fields may set; another one (a new field) takes the slow path
_KNOWN = frozenset({
    "id", "ts", "model", "provider", "input", "output", "finish_reason", "usage",
    "latency_ms", "metadata", "task", "prompt_version", "variant", "tags",
    "service_tier", "batch", "error",
})
_COUNTS = frozenset({"input_tokens", "output_tokens", "cached_input_tokens",
                     "cache_write_tokens", "reasoning_tokens", "cache_write_1h_tokens"})


def row_values(fields: dict[str, Any], source: str) -> dict[str, Any] | None:
    """``fields`` as ``prepare.values_row`` reads them, or None (validate
    a record instead). ``source`` is the receiver's source name."""
    u = fields.get("usage")
    if type(u) is not dict or not fields.get("id") or not _KNOWN.issuperset(fields):
        return None
    if not _COUNTS.issuperset(u) or any(type(n) is not int or n < 0 for n in u.values()):
        return None
    model, output = fields.get("model", ""), fields.get("output", "")
    if type(model) is not str or type(output) is not str:
        return None
    inp = _input(fields.get("input"))
    if inp is False:
        return None
    if not (_opt(fields.get("finish_reason")) and _opt(fields.get("error"))
            and _opt(fields.get("service_tier"))):
        return None
    latency = fields.get("latency_ms")
    if latency is not None and type(latency) is not float:
        return None
    # not checked again: what output_fields builds from strings of its own
    # making (metadata keys; labels and tags through to_str and tag_list)
    if type(fields.get("batch", False)) is not bool or type(fields.get("metadata")) is not dict:
        return None
    t = fields["ts"]
    if type(t) is float and 0 < t < 1e11:  # seconds: what parse_ts does with them
        ts = datetime.fromtimestamp(t, tz=UTC)
    else:
        try:
            ts = parse_ts(t)
        except (ValueError, OverflowError, OSError, TypeError):
            return None  # the record path rejects it with its reason
    return {
        **fields,
        "ts": ts,
        "provider": provider_name(fields.get("provider"), to_str(model)),
        "input": inp,
        "usage": {"cached_input_tokens": 0, "cache_write_tokens": 0, "reasoning_tokens": 0,
                  **u},
        "error": fields.get("error"),
        "source": source,
    }


def _opt(value: Any) -> bool:
    return value is None or type(value) is str


def _input(value: Any) -> str | list[tuple[str, str]] | None | bool:
    """The input as ``values_row`` takes it: text, (role, content) pairs or
    None; False when a message is not role and content strings."""
    if value is None or type(value) is str:
        return value
    if type(value) is not list:
        return False
    pairs = []
    for m in value:
        if type(m) is not dict:
            return False
        role, content = m.get("role", "user"), m.get("content", "")
        if type(role) is not str or type(content) is not str:
            return False
        pairs.append((role, content))
    return pairs
