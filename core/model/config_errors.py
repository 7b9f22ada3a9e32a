"""The one line a config error is shown as: ``file: key.path: what is wrong``.

Of several problems the first shown is an unknown key, with the closest known
key at that place (``sources[0].paht: unknown key (did you mean path?)``):
a misspelt key is the cause, and the "required key is missing" it brings
along is then left out of the ``(+N more)`` count.
"""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError


def message(exc: ValidationError, origin: str, root: type[BaseModel]) -> str:
    errors = sorted(exc.errors(), key=lambda e: e.get("type") != "extra_forbidden")
    err = errors[0]
    text = f"{origin}: {loc_text(err['loc'])}: {describe(err)}"
    rest = errors[1:]
    if err.get("type") == "extra_forbidden":
        guess = suggest(root, err["loc"])
        if guess is not None:
            text += f" (did you mean {guess}?)"
            want = (*err["loc"][:-1], guess)
            rest = [e for e in rest if not (e.get("type") == "missing" and e["loc"] == want)]
    if rest:
        text += f" (+{len(rest)} more)"
    return text


def suggest(root: type[BaseModel], loc: tuple) -> str | None:
    """The known key closest to the unknown last part of ``loc``, or None."""
    model = _model_at(root, loc[:-1])
    if model is None:
        return None
    known = [f.alias or name for name, f in model.model_fields.items() if not f.exclude]
    close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
    return close[0] if close else None


def _model_at(root: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    model: Any = root
    skip_key = False
    for part in loc:
        if isinstance(part, int):
            continue
        if skip_key:  # a [models.NAME] key, not a field
            skip_key = False
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        field = model.model_fields.get(part) or next(
            (f for f in model.model_fields.values() if f.alias == part), None)
        if field is None:
            return None
        model, skip_key = _item(field.annotation)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _item(ann: Any) -> tuple[Any, bool]:
    """The model inside ``list[X]``, ``dict[str, X]`` or ``X | None``; and
    whether a dict key comes next in an error's location."""
    origin = typing.get_origin(ann)
    args = typing.get_args(ann)
    if origin is list and args:
        return _item(args[0])[0], False
    if origin is dict and len(args) == 2:
        return _item(args[1])[0], True
    if origin in (typing.Union, types.UnionType):
        for a in args:
            if a is not type(None):
                return _item(a)
    return ann, False


def loc_text(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("function-after", "function-before") or str(part).startswith(
            ("function-", "literal[")
        ):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def describe(err: dict) -> str:
    kind = err.get("type", "")
    msg = err.get("msg", "")
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    got = err.get("input")
    if kind not in ("model_type",) and not isinstance(got, dict | list) and got is not None:
        return f"{msg} (got {got!r})"
    return msg
