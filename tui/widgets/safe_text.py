"""Untrusted text to renderables: the only way logged, judged or configured
strings reach the screen. Everything goes through :mod:`evaltop.core.text.sanitize`
and comes out as a ``rich.text.Text`` (a literal: never parsed as markup).

With ``[redaction] enabled`` (the default) the app turns redaction on here
too: secrets and PII in logged text are shown as the placeholders they get
when they leave the store (``[EMAIL]``, ``[API_KEY]``...), redacted before
any cut, so a cut can never leave half a key on screen."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from rich.text import Text

from evaltop.core.text import redact, sanitize

_redacting = False
# Redaction looks this far into a value: past anything a cell or a detail
# pane (sanitize.clip: 20,000 characters) shows, plus room for a secret that
# straddles the cut.
REDACT_SPAN = 24_576
_PLAIN = (int, float, Decimal, bool)  # numbers and flags are ours, not logged text


def set_redaction(on: bool) -> None:
    """The display policy (the app sets it from ``[redaction] enabled``)."""
    global _redacting
    _redacting = bool(on)


@lru_cache(maxsize=2048)
def _redact_short(text: str) -> str:  # cells are redrawn on every refresh
    return redact.safe_redact(text)


def shown(value: object) -> object:
    """``value`` as the screen may show it: redacted when redaction is on."""
    if not _redacting or value is None or isinstance(value, _PLAIN):
        return value
    text = value if isinstance(value, str) else str(value)
    if len(text) <= 1024:
        return _redact_short(text)
    if len(text) <= REDACT_SPAN:
        return redact.safe_redact(text)
    hidden = len(text) - REDACT_SPAN
    return (
        redact.safe_redact(text[:REDACT_SPAN])
        + f"\n{sanitize.ELLIPSIS} [{hidden:,} more characters not shown]"
    )


def prewarm(data: object, budget: int = 5000) -> None:
    """Redact the short strings in ``data`` (rows as a screen's worker
    fetched them: dicts, lists, tuples, dataclasses) into the cache, on the
    worker's thread, so building cells on the event loop finds them done."""
    if not _redacting:
        return
    todo, left = [data], budget
    while todo and left > 0:
        item = todo.pop()
        if isinstance(item, str):
            if len(item) <= 1024:
                _redact_short(item)
                left -= 1
        elif isinstance(item, dict):
            todo.extend(item.values())
        elif isinstance(item, list | tuple | set):
            todo.extend(item)
        elif hasattr(item, "__dict__") and not isinstance(item, type):
            todo.extend(vars(item).values())


def line(value: object, width: int = 60) -> str:
    """One cleaned (and, when on, redacted) line cut to ``width``, as a str."""
    return sanitize.one_line(shown(value), width)


def safe(value: object, style: str = "") -> Text:
    """Cleaned literal text (newlines kept), for detail panes."""
    return Text(sanitize.clip(shown(value)), style=style, no_wrap=False)


def cell(value: object, width: int = 60, style: str = "") -> Text:
    """One cleaned line cut to ``width``, for table cells and one-line labels."""
    return Text(line(value, width), style=style, no_wrap=True, overflow="ellipsis")


class RankedText(Text):
    """A first-column cell that carries its row's position, so a live table can
    add rows and then sort them into page order once (DataTable only appends)."""

    rank: int = 0


def ranked(value: object, rank: int, width: int = 20, style: str = "") -> RankedText:
    t = RankedText(line(value, width), style=style, no_wrap=True, overflow="ellipsis")
    t.rank = rank
    return t


def join(*parts: Text | str | tuple[str, str]) -> Text:
    """Assemble Text from literal pieces: a str is trusted UI text (not markup),
    a (text, style) tuple is styled, Text is kept as is."""
    out = Text()
    for p in parts:
        if isinstance(p, Text):
            out.append_text(p)
        elif isinstance(p, tuple):
            out.append(p[0], style=p[1])
        else:
            out.append(p)
    return out
