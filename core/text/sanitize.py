"""The one sanitiser for untrusted text (logged prompts and outputs, judge
reasons, model/task names) on its way to a screen.

It makes text inert for a terminal: C0/C1 control characters (ESC, CSI 0x9b,
OSC, SO/SI, DEL, CR...) are removed, keeping newline and tab; bidi overrides
and isolates are replaced by a visible marker so reordered text cannot hide
what it says. It does NOT make text safe for Textual/Rich markup: callers
render the result as ``Text``/``Content`` (or ``markup=False``), never inside a
markup string.
"""

from __future__ import annotations

import re

# C0 except \t (0x09) and \n (0x0a); DEL; C1 (0x80-0x9f, includes CSI 0x9b).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

# Bidi embeddings/overrides and isolates, plus the marks that can reorder text.
_BIDI_NAMES = {
    "\u202a": "LRE",
    "\u202b": "RLE",
    "\u202c": "PDF",
    "\u202d": "LRO",
    "\u202e": "RLO",
    "\u2066": "LRI",
    "\u2067": "RLI",
    "\u2068": "FSI",
    "\u2069": "PDI",
}
_BIDI = re.compile("[" + "".join(_BIDI_NAMES) + "]")

# Other invisible characters that can disguise text in a cell.
_INVISIBLE = re.compile("[\u200b-\u200f\u2028\u2029\u2060-\u2064\ufeff\ufff9-\ufffb]")

ELLIPSIS = "…"


def clean(text: object) -> str:
    """Untrusted value -> printable text with newlines and tabs kept."""
    if text is None:
        return ""
    if not isinstance(text, str):
        text = str(text)
    text = _CONTROL.sub("", text)
    text = _BIDI.sub(lambda m: f"⟪{_BIDI_NAMES[m.group(0)]}⟫", text)
    return _INVISIBLE.sub("", text)


def one_line(text: object, width: int = 80) -> str:
    """The first non-empty line, cleaned and cut to ``width`` characters: a cell.

    An ellipsis says when something was left out (more lines, or a cut line).
    """
    raw = "" if text is None else str(text)
    # Look only at a bounded head: a 1 MB line must not be scanned per cell.
    head = raw[: width * 4 + 64]
    lines = head.split("\n")
    idx = next((i for i, line in enumerate(lines) if line.strip()), None)
    if idx is None:
        return ""
    line = clean(lines[idx]).replace("\t", " ").strip()
    more = len(raw) > len(head) or any(rest.strip() for rest in lines[idx + 1 :])
    if len(line) > width:
        return line[: max(0, width - 1)] + ELLIPSIS
    if more:
        return line + " " + ELLIPSIS if len(line) + 2 <= width else line[: width - 1] + ELLIPSIS
    return line


def clip(text: object, max_chars: int = 20_000) -> str:
    """Cleaned text for a detail pane, cut at ``max_chars`` with a note saying how much."""
    raw = "" if text is None else str(text)
    if len(raw) <= max_chars:
        return clean(raw)
    hidden = len(raw) - max_chars
    return clean(raw[:max_chars]) + f"\n{ELLIPSIS} [{hidden:,} more characters not shown]"


def has_control(text: str) -> bool:
    """True when ``text`` still holds a byte a terminal would interpret (tests, asserts)."""
    return bool(_CONTROL.search(text) or _BIDI.search(text))
