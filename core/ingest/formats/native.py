"""evaltop's own line format (docs/formats.md): outputs and ``"type": "feedback"`` events.

Unknown top-level keys are kept in ``metadata`` (nothing is dropped); unknown
``usage`` keys are errors, because a misspelt token count would misprice.
"""

from __future__ import annotations

import math
from typing import Any

from evaltop.core.ingest.formats.common import (
    FAST,
    assemble,
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
from evaltop.core.ingest.formats.pairs import tag_list
from evaltop.core.ingest.formats.providers import provider_name
from evaltop.core.model.records import Feedback, LoggedOutput, Message, Usage, parse_ts

FMT = "native"
_STR_FIELDS = ("model", "provider", "task", "prompt_version", "variant", "finish_reason")
_KNOWN = frozenset(
    {
        *_STR_FIELDS,
        "id",
        "ts",
        "type",
        "input",
        "output",
        "usage",
        "latency_ms",
        "tags",
        "metadata",
        "confidence",
        "logprobs",
        "error",
        "cost_usd",
        "batch",
        "service_tier",
    }
)
_USAGE_KEYS = (
    "input_tokens",
    "output_tokens",
    "cached_input_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
)
_USAGE_1H = "cache_write_1h_tokens"  # optional: absent = the TTL split is unknown
_USAGE_IGNORED = frozenset({"total_tokens"})


def parse(obj: dict, *, source: str = "", line_hash: str = "") -> list[LoggedOutput | Feedback]:
    rec = fast_output(obj, source)
    if rec is not None:
        return [rec]
    return parse_full(obj, source=source, line_hash=line_hash)


def fast_output(obj: dict, source: str = "") -> LoggedOutput | None:
    """The common output line, checked here field by field exactly as
    :func:`parse_full` plus ``model_validate`` would accept it, and built
    without validating twice; None for anything else (feedback, chat parts,
    numbers as strings, a bad value...), which :func:`parse_full` then
    handles or rejects with its precise reason. Proved equal to
    :func:`parse_full` in tests/test_ingest_fastpath.py."""
    v = fast_values(obj)
    return None if v is None else fast_record(v, source)


def fast_record(v: dict[str, Any], source: str) -> LoggedOutput:
    """The record of :func:`fast_values`' values (which it takes over)."""
    inp = v["input"]
    if type(inp) is list:
        v["input"] = [
            assemble(Message, {"role": role, "content": content}) for role, content in inp
        ]
    u = v.get("usage")
    if u is not None:
        v["usage"] = assemble(Usage, u)
    v["source"] = source
    v["format"] = FMT
    return assemble(LoggedOutput, v)


def fast_values(obj: dict) -> dict[str, Any] | None:
    """The checks of :func:`fast_output`, and its values as a record's fields
    in their validated form, except that chat ``input`` is a list of
    ``(role, content)`` pairs and ``usage`` a dict of the five counts; no
    ``source`` or ``format``. None: not a line for the fast path."""
    get = obj.get
    rid, ts = get("id"), get("ts")
    if type(rid) is not str or not rid or not rid.isascii() or ts is None or not FAST:
        return None  # no id: line hash; non-ASCII: pydantic's own unicode check
    if get("type") not in (None, "output") or "cost_usd" in obj or "logprobs" in obj:
        return None
    try:
        when = parse_ts(ts)
    except (ValueError, OverflowError, OSError):
        return None
    v: dict[str, Any] = {"id": rid, "ts": when}
    for key in _STR_FIELDS:
        s = get(key)
        if s is not None:
            if type(s) is not str:
                return None
            v[key] = s
    inp = get("input")
    if inp is not None and type(inp) is not str:
        inp = _fast_messages(inp)
        if inp is None:
            return None
    v["input"] = inp
    out = get("output")
    if out is None:  # the checks of _is_native
        if ("output" not in obj and not get("error")) or looks_like(obj) != FMT:
            return None
        out = ""
    elif type(out) is not str:
        return None
    v["output"] = out
    u = get("usage")
    if u is not None:
        u = _fast_usage(u)
        if u is None:
            return None
        v["usage"] = u
    for key in ("latency_ms", "confidence"):
        x = get(key)
        if x is not None:
            if type(x) is int and -_EXACT < x < _EXACT:
                x = float(x)
            elif type(x) is not float or not math.isfinite(x):
                return None
            v[key] = x
    c = v.get("confidence")
    if c is not None and not 0.0 <= c <= 1.0:
        return None
    tags = get("tags")
    if tags is not None:
        if type(tags) is not list or not all(type(t) is str for t in tags):
            return None
        v["tags"] = list(tags)
    meta = get("metadata")
    if meta is None:
        meta = {}
    elif type(meta) is not dict or not all(type(k) is str for k in meta):
        return None
    else:
        meta = dict(meta)
    if not obj.keys() <= _KNOWN:
        for key, value in obj.items():
            if key not in _KNOWN:
                if type(key) is not str:
                    return None
                meta.setdefault(key, value)
    v["metadata"] = meta
    batch = get("batch")
    if batch is not None:
        if type(batch) is not bool:
            return None
        v["batch"] = batch
    tier = get("service_tier")
    if tier is not None:
        if type(tier) is not str:
            return None
        v["service_tier"] = tier
    err = get("error")
    if err is not None and err != "":
        if type(err) is not str:
            return None
        v["error"] = err
    else:
        v["error"] = None
    key = (v.get("provider"), v.get("model", ""))
    provider = _PROVIDERS.get(key)
    if provider is None:
        if len(_PROVIDERS) >= 4096:  # bounded: a log could name endless models
            _PROVIDERS.clear()
        provider = _PROVIDERS[key] = provider_name(*key)
    v["provider"] = provider
    return v


# provider_name of (provider, model), a pure function
_PROVIDERS: dict[tuple[str | None, str], str] = {}


_EXACT = 2**53  # ints this small are floats exactly (larger: the full path decides)
_USAGE_ALL = frozenset(_USAGE_KEYS) | _USAGE_IGNORED | {_USAGE_1H}
_MESSAGE_KEYS = frozenset({"role", "content"})


def _fast_messages(value: Any) -> list | None:
    """``[{"role": str, "content": str}, ...]`` as ``(role, content)`` pairs, else None."""
    if type(value) is not list:
        return None
    msgs = []
    for m in value:
        if type(m) is not dict or m.keys() != _MESSAGE_KEYS:
            return None
        role, content = m["role"], m["content"]
        if type(role) is not str or not role or type(content) is not str:
            return None
        msgs.append((role, content))
    return msgs


def _fast_usage(u: Any) -> dict[str, int] | None:
    """Whole, non-negative int counts whose subsets fit their totals (all five keys), else None."""
    if type(u) is not dict or not u.keys() <= _USAGE_ALL:
        return None
    get = u.get
    i, o, c, w, r = (0 if (n := get(key)) is None else n for key in _USAGE_KEYS)
    if (
        type(i) is not int
        or type(o) is not int
        or type(c) is not int
        or type(w) is not int
        or type(r) is not int
        or i < 0
        or o < 0
        or c < 0
        or w < 0
        or r < 0
        or c + w > i
        or r > o
    ):
        return None
    counts = {
        "input_tokens": i,
        "output_tokens": o,
        "cached_input_tokens": c,
        "cache_write_tokens": w,
        "reasoning_tokens": r,
    }
    w1h = get(_USAGE_1H)
    if w1h is not None:
        if type(w1h) is not int or w1h < 0 or w1h > w:
            return None
        counts[_USAGE_1H] = w1h
    return counts


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
