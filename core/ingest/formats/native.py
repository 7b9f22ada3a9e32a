"""evaltop's own line format (docs/formats.md): outputs and ``"type": "feedback"`` events.

Unknown top-level keys are kept in ``metadata`` (nothing is dropped); unknown
``usage`` keys are errors, because a misspelt token count would misprice.
"""

from __future__ import annotations

from typing import Any

from evaltop.core.ingest.formats.common import (
    build_feedback,
    complete,
    fail,
    ingest_time,
    line_id,
    timestamp,
    to_decimal,
    to_float,
    to_int,
    to_str,
    usage,
)
from evaltop.core.ingest.formats.detect import looks_like
from evaltop.core.ingest.formats.messages import chat_messages, content_text

# the fast path lives in native_fast; fast_record/fast_values re-exported for prepare
from evaltop.core.ingest.formats.native_fast import (
    _KNOWN,
    _STR_FIELDS,
    _USAGE_1H,
    _USAGE_IGNORED,
    _USAGE_KEYS,
    FMT,
    fast_output,
)
from evaltop.core.ingest.formats.native_fast import fast_record as fast_record
from evaltop.core.ingest.formats.native_fast import fast_values as fast_values
from evaltop.core.ingest.formats.pairs import tag_list
from evaltop.core.model.records import Feedback, LoggedOutput


def parse(obj: dict, *, source: str = "", line_hash: str = "") -> list[LoggedOutput | Feedback]:
    rec = fast_output(obj, source)
    if rec is not None:
        return [rec]
    return parse_full(obj, source=source, line_hash=line_hash)


def parse_full(
    obj: dict, *, source: str = "", line_hash: str = ""
) -> list[LoggedOutput | Feedback]:
    """Every native line, each value converted and checked, the record
    validated by pydantic: the reference the fast path must equal."""
    kind = obj.get("type")
    if kind == "feedback":
        return [parse_feedback(obj, source, line_hash)]
    if kind not in (None, "output"):
        fail(FMT, f"type: expected output or feedback, got {to_str(kind)[:40]!r}")
    fields: dict[str, Any] = {"id": to_str(obj.get("id")), "ts": obj.get("ts")}
    for key in _STR_FIELDS:
        v = obj.get(key)
        if v is not None:
            if not isinstance(v, str):
                fail(FMT, f"{key} must be a string, got {type(v).__name__}")
            fields[key] = v
    fields["input"] = _input(obj.get("input"))
    fields["output"] = _output(obj.get("output"))
    if obj.get("usage") is not None:
        fields["usage"] = _usage(obj["usage"])
    if obj.get("latency_ms") is not None:
        fields["latency_ms"] = to_float(obj["latency_ms"], FMT, "latency_ms")
    if obj.get("tags") is not None:
        fields["tags"] = tag_list(obj["tags"], FMT)
    metadata = obj.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        fail(FMT, f"metadata must be an object, got {type(metadata).__name__}")
    metadata = dict(metadata or {})
    for key, value in obj.items():
        if key not in _KNOWN:
            metadata.setdefault(key, value)
    fields["metadata"] = metadata
    if obj.get("confidence") is not None:
        c = to_float(obj["confidence"], FMT, "confidence")
        if not 0.0 <= c <= 1.0:
            fail(FMT, f"confidence must be between 0 and 1, got {c}")
        fields["confidence"] = c
    if obj.get("logprobs") is not None:
        fields["logprobs"] = logprob_list(obj["logprobs"])
    fields["error"] = _error(obj.get("error"))
    if obj.get("cost_usd") is not None:
        fields["reported_cost_usd"] = to_decimal(obj["cost_usd"], FMT, "cost_usd")
    if obj.get("batch") is not None:
        if not isinstance(obj["batch"], bool):
            fail(FMT, f"batch must be true or false, got {to_str(obj['batch'])[:40]!r}")
        fields["batch"] = obj["batch"]
    if obj.get("service_tier") is not None:
        if not isinstance(obj["service_tier"], str):
            fail(FMT, f"service_tier must be a string, got {type(obj['service_tier']).__name__}")
        fields["service_tier"] = obj["service_tier"]
    _is_native(obj, fields["error"])
    return [complete(FMT, fields, {}, obj, line_hash, source)]


def _is_native(obj: dict, error: str | None) -> None:
    """An output line states its ``output`` (text; null or absent only with
    ``error``); a line of another format, whose keys this parser would
    otherwise keep as metadata, is rejected (docs/formats.md "native")."""
    out = obj.get("output")
    if "output" not in obj and not error:
        fail(FMT, "output missing (an output line has output, or error for a failed call)")
    if not isinstance(out, str) and looks_like(obj) not in (None, FMT):
        fail(FMT, "output missing" if out is None else "output: expected text")


def _input(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list):
        return chat_messages(value, FMT, "input")
    fail(FMT, f"input must be a string or an array of chat messages, got {type(value).__name__}")


def _output(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, dict) and "content" in value:  # a chat message
        return content_text(value["content"], FMT, "output.content")
    if isinstance(value, list):
        return content_text(value, FMT, "output")
    fail(FMT, f"output must be a string, got {type(value).__name__}")


def _usage(u: Any):
    if not isinstance(u, dict):
        fail(FMT, f"usage must be an object, got {type(u).__name__}")
    for key in u:
        if key not in _USAGE_KEYS and key not in _USAGE_IGNORED and key != _USAGE_1H:
            fail(FMT, f"usage.{key}: unknown key "
                      f"(expected {', '.join(_USAGE_KEYS)} or {_USAGE_1H})")
    counts = {k: to_int(u.get(k), FMT, f"usage.{k}") for k in _USAGE_KEYS}
    if u.get(_USAGE_1H) is not None:
        counts[_USAGE_1H] = to_int(u[_USAGE_1H], FMT, f"usage.{_USAGE_1H}")
    return usage(FMT, **counts)


def _error(value: Any) -> str | None:
    if not value:  # None, false, "", 0: no error
        return None
    if value is True:
        return "error"
    if isinstance(value, dict):
        return to_str(value.get("message") or value.get("type") or value.get("code")) or to_str(
            value
        )
    return to_str(value)


def logprob_list(value: Any) -> list[float] | None:
    """Floats, OpenAI token objects ``{token, logprob}``, or ``{"content": [...]}``."""
    if isinstance(value, dict):
        value = value.get("content")
    if not isinstance(value, list):
        fail(FMT, "logprobs must be an array of numbers or token objects")
    out = []
    for i, v in enumerate(value):
        if isinstance(v, dict):
            v = v.get("logprob")
        if isinstance(v, bool) or not isinstance(v, int | float):
            fail(FMT, f"logprobs[{i}] must be a number (or an object with a logprob number)")
        if v > 0:
            fail(FMT, f"logprobs[{i}] must be <= 0 (a log probability), got {v}")
        out.append(float(v))
    return out or None


def parse_feedback(obj: dict, source: str, line_hash: str) -> Feedback:
    """A feedback event. Without ``id`` the line hash names it; without ``ts``
    it gets the ingest time (see docs/formats.md)."""
    output_id = obj.get("output_id")
    if output_id is None or output_id == "" or isinstance(output_id, dict | list | bool):
        fail(FMT, "feedback output_id missing (the id of the output it is about)")
    name = obj.get("name")
    if not isinstance(name, str) or not name:
        fail(FMT, "feedback name missing (e.g. thumbs, task_completed, user_corrected)")
    value = obj.get("value")
    if isinstance(value, dict | list):
        fail(FMT, "feedback value must be a number, boolean, string or null")
    ts = obj.get("ts")
    return build_feedback(
        FMT,
        {
            "id": to_str(obj.get("id")) or line_id(obj, line_hash),
            "output_id": to_str(output_id),
            "ts": ingest_time() if ts is None else timestamp(ts, FMT, "ts"),
            "name": name,
            "value": value,
            "source": source,
        },
    )
