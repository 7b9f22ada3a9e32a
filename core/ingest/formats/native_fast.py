"""The native format's fast path (docs/formats.md "native"): the common output
line checked field by field exactly as ``native.parse_full`` plus
``model_validate`` would accept it, and built without validating twice. Also
the format's keys, which both paths check against.
"""

from __future__ import annotations

import math
from typing import Any

from evaltop.core.ingest.formats.common import FAST, assemble
from evaltop.core.ingest.formats.detect import looks_like
from evaltop.core.ingest.formats.providers import provider_name
from evaltop.core.model.records import LoggedOutput, Message, Usage, parse_ts

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


def fast_output(obj: dict, source: str = "") -> LoggedOutput | None:
    """The common output line, checked here field by field exactly as
    ``native.parse_full`` plus ``model_validate`` would accept it, and built
    without validating twice; None for anything else (feedback, chat parts,
    numbers as strings, a bad value...), which ``native.parse_full`` then
    handles or rejects with its precise reason. Proved equal to
    ``native.parse_full`` in tests/test_ingest_fastpath.py."""
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
    if out is None:  # the checks of native._is_native
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
