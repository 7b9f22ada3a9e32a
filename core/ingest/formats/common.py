"""Helpers every format parser shares: errors, ids, numbers, text, records.

Parsers read untrusted JSON, so every accessor checks the type it gets and
raises :class:`FormatError` with ``"<format>: <key path> <what was expected>"``.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn, TypeVar

import orjson
from pydantic import BaseModel, ValidationError

from evaltop.core.ingest.formats.providers import provider_name
from evaltop.core.model.records import Feedback, LoggedOutput, Message, Usage, parse_ts


class FormatError(ValueError):
    """A line that is not what its format promises; ``str()`` is the short reason."""


def fail(fmt: str, msg: str) -> NoReturn:
    raise FormatError(f"{fmt}: {msg}")


def line_id(obj: Any, line_hash: str) -> str:
    """``h:<hash>`` for records without a natural id.

    Callers pass the hash of the raw line; direct callers (tests, replay) that
    pass none get a hash of the decoded object with sorted keys, still stable.
    """
    if not line_hash:
        raw = orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
        line_hash = hashlib.blake2b(raw, digest_size=16).hexdigest()
    return f"h:{line_hash}"


def to_int(value: Any, fmt: str, key: str) -> int:
    """A token count: int, integral float or decimal string; None is 0."""
    if value is None:
        return 0
    if isinstance(value, bool):
        fail(fmt, f"{key} must be a number, not a boolean")
    if isinstance(value, int):
        n = value
    elif isinstance(value, float) and value.is_integer():
        n = int(value)
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        n = int(value)
    else:
        fail(fmt, f"{key} must be a whole number, got {_show(value)}")
    if n < 0:
        fail(fmt, f"{key} must not be negative, got {n}")
    return n


def to_float(value: Any, fmt: str, key: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        fail(fmt, f"{key} must be a number, got {_show(value)}")
    try:
        f = float(value)
    except ValueError:
        f = math.nan
    if not math.isfinite(f):
        fail(fmt, f"{key} must be a finite number, got {_show(value)}")
    return f


def to_decimal(value: Any, fmt: str, key: str) -> Decimal | None:
    """USD as reported by the log, exact (floats go through their shortest repr)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        fail(fmt, f"{key} must be a number of USD, got {_show(value)}")
    try:
        d = Decimal(repr(value) if isinstance(value, float) else str(value))
    except InvalidOperation:
        fail(fmt, f"{key} must be a number of USD, got {_show(value)}")
    if not d.is_finite() or d < 0:
        fail(fmt, f"{key} must be a finite, non-negative USD amount, got {value}")
    return d


def to_str(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return orjson.dumps(value).decode()


def get_dict(obj: Mapping, key: str, fmt: str, path: str = "") -> dict:
    """``obj[key]`` as a dict; missing or null gives ``{}``."""
    v = obj.get(key)
    if v is None:
        return {}
    if not isinstance(v, dict):
        fail(fmt, f"{path}{key} must be an object, got {_show(v)}")
    return v


def get_list(obj: Mapping, key: str, fmt: str, path: str = "") -> list:
    v = obj.get(key)
    if v is None:
        return []
    if not isinstance(v, list):
        fail(fmt, f"{path}{key} must be an array, got {_show(v)}")
    return v


def timestamp(value: Any, fmt: str, key: str) -> datetime:
    """Aware UTC time from RFC 3339 / epoch s, ms, us, ns (strings or numbers)."""
    try:
        return parse_ts(value)
    except (ValueError, OverflowError, OSError) as exc:
        fail(fmt, f"{key}: {exc}")


def ingest_time() -> float:
    """The time used when a log states none (see docs/formats.md "Time")."""
    return time.time()


def usage(fmt: str, **counts: int) -> dict[str, int]:
    """Usage fields (validated into :class:`Usage` with the record), after
    checking that the subsets fit inside their totals."""
    inp, out = counts.get("input_tokens", 0), counts.get("output_tokens", 0)
    cached, write = counts.get("cached_input_tokens", 0), counts.get("cache_write_tokens", 0)
    reasoning = counts.get("reasoning_tokens", 0)
    if cached + write > inp:
        fail(fmt, f"usage: cache reads {cached} + writes {write} exceed input tokens {inp}")
    if reasoning > out:
        fail(fmt, f"usage: reasoning tokens {reasoning} exceed output tokens {out}")
    out_counts = {
        "input_tokens": inp,
        "output_tokens": out,
        "cached_input_tokens": cached,
        "cache_write_tokens": write,
        "reasoning_tokens": reasoning,
    }
    w1h = counts.get("cache_write_1h_tokens")
    if w1h is not None:  # None: the log gave only the total (priced as 5-minute writes)
        if w1h > write:
            fail(fmt, f"usage: 1-hour cache writes {w1h} exceed cache writes {write}")
        out_counts["cache_write_1h_tokens"] = w1h
    return out_counts


def build_output(fmt: str, fields: dict[str, Any]) -> LoggedOutput:
    """Validate the collected fields into a record; pydantic errors name the key."""
    fields["format"] = fmt
    try:
        return LoggedOutput.model_validate(fields)
    except ValidationError as exc:
        fail(fmt, _pydantic_reason(exc))


def assemble(cls: type[M], values: dict[str, Any]) -> M:
    """An instance of ``cls`` from ``values`` that the caller has already
    checked exactly as validation would accept them, in their validated form
    (exact ``str``/``int``/``float`` types, nested models built): the format
    fast paths use it to skip validating twice. Missing fields get their
    defaults and ``model_fields_set`` is ``values``' keys, as
    ``model_validate`` would give. tests/test_ingest_fastpath.py proves the
    result equal to ``model_validate``'s, and :func:`_assemble_works` checks
    it once per process (False: callers validate instead)."""
    template, factories = _templates(cls)
    d = template.copy()
    d.update(values)
    for name, factory in factories:
        if name not in values:
            d[name] = factory()
    m = cls.__new__(cls)
    _setattr(m, "__dict__", d)
    _setattr(m, "__pydantic_fields_set__", set(values))
    _setattr(m, "__pydantic_extra__", None)
    _setattr(m, "__pydantic_private__", None)
    return m


M = TypeVar("M", bound=BaseModel)
_setattr = object.__setattr__
_TEMPLATES: dict[type, tuple[dict[str, Any], tuple]] = {}


def _templates(cls: type[BaseModel]) -> tuple[dict[str, Any], tuple]:
    """Field-ordered defaults (required fields: None, always overwritten) and
    the default factories of ``cls``."""
    got = _TEMPLATES.get(cls)
    if got is None:
        fields = cls.model_fields
        template = {
            n: (None if f.is_required() or f.default_factory else f.default)
            for n, f in fields.items()
        }
        factories = tuple((n, f.default_factory) for n, f in fields.items() if f.default_factory)
        got = _TEMPLATES[cls] = (template, factories)
    return got


def _assemble_works() -> bool:
    """Whether :func:`assemble` builds what ``model_validate`` does with this
    pydantic version (checked once on a record with every kind of field)."""
    values = {
        "id": "x",
        "ts": parse_ts(0),
        "input": [assemble(Message, {"role": "user", "content": "q"})],
        "usage": assemble(Usage, {"input_tokens": 1, "output_tokens": 0}),
        "tags": ["t"],
        "metadata": {"k": 1},
        "latency_ms": 1.5,
        "source": "s",
    }
    plain = dict(values, input=[{"role": "user", "content": "q"}],
                 usage={"input_tokens": 1, "output_tokens": 0})
    try:
        mine, theirs = assemble(LoggedOutput, values), LoggedOutput.model_validate(plain)
    except Exception:  # any surprise means: do not use the fast path
        return False
    return (
        mine == theirs
        and mine.model_fields_set == theirs.model_fields_set
        and mine.usage.model_fields_set == theirs.usage.model_fields_set
        and mine.model_dump_json() == theirs.model_dump_json()
    )


FAST = _assemble_works()


def build_feedback(fmt: str, fields: dict[str, Any]) -> Feedback:
    try:
        return Feedback.model_validate(fields)
    except ValidationError as exc:
        fail(fmt, "feedback " + _pydantic_reason(exc))


def _pydantic_reason(exc: ValidationError) -> str:
    err = exc.errors(include_url=False)[0]
    loc = ".".join(str(p) for p in err["loc"]) or "record"
    return f"{loc}: {err['msg']}"


def _show(value: Any) -> str:
    """A short, safe description of an unexpected value for an error reason."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def complete(
    fmt: str, fields: dict[str, Any], extra: dict[str, Any], obj: Any, line_hash: str, source: str
) -> LoggedOutput:
    """Merge wrapper labels into parsed fields, fill id/ts/provider, validate.

    The parsed record wins over ``extra`` (labels from around it) except for
    metadata, which is merged (the record's keys win), and ``provider``: an
    app that logs a pair names the real provider behind an OpenAI-compatible
    API (azure, a gateway), so its word wins. No id: the line hash.
    No time: the ingest time, with ``metadata.ts_source = "ingest"``.
    """
    for key, value in extra.items():
        if key == "metadata":
            fields["metadata"] = {**value, **fields.get("metadata", {})}
        elif key == "provider" or fields.get(key) in (None, "", []):
            fields[key] = value
    if not fields.get("id"):
        fields["id"] = line_id(obj, line_hash)
    if fields.get("ts") is None:
        fields["ts"] = ingest_time()
        fields.setdefault("metadata", {})["ts_source"] = "ingest"
    else:
        fields["ts"] = timestamp(fields["ts"], fmt, "ts")
    fields["provider"] = provider_name(fields.get("provider"), to_str(fields.get("model")))
    fields["source"] = source
    return build_output(fmt, fields)
