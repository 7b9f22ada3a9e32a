"""Untrusted text to renderables: the only way logged, judged or configured
strings reach the screen. Everything goes through :mod:`evaltop.core.sanitize`
and comes out as a ``rich.text.Text`` (a literal: never parsed as markup)."""

from __future__ import annotations

from rich.text import Text

from evaltop.core import sanitize


def safe(value: object, style: str = "") -> Text:
    """Cleaned literal text (newlines kept), for detail panes."""
    return Text(sanitize.clip(value), style=style, no_wrap=False)


def cell(value: object, width: int = 60, style: str = "") -> Text:
    """One cleaned line cut to ``width``, for table cells and one-line labels."""
    return Text(sanitize.one_line(value, width), style=style, no_wrap=True, overflow="ellipsis")


class RankedText(Text):
    """A first-column cell that carries its row's position, so a live table can
    add rows and then sort them into page order once (DataTable only appends)."""

    rank: int = 0


def ranked(value: object, rank: int, width: int = 20, style: str = "") -> RankedText:
    t = RankedText(sanitize.one_line(value, width), style=style, no_wrap=True, overflow="ellipsis")
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
