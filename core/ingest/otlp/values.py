"""Limits every decoded attribute value obeys, whatever the encoding.

Attribute values come from other people's programs: a 10 MB string or an
array nested a thousand deep must not become a 10 MB row or a recursion
error. Strings are cut at :data:`MAX_TEXT` characters and nesting stops at
:data:`MAX_DEPTH`; each cut is noted so the receiver can count it.
"""

from __future__ import annotations

MAX_TEXT = 1 << 20  # characters per string value
MAX_DEPTH = 16  # nested arrays / key-value lists
MAX_ITEMS = 4096  # values per array or key-value list


class Notes:
    """What was clamped while decoding one item (a short reason each)."""

    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, reason: str) -> None:
        if reason not in self.items:
            self.items.append(reason)


def clamp_text(s: str, key: str, notes: Notes) -> str:
    if len(s) > MAX_TEXT:
        notes.add(f"{key}: value of {len(s):,} characters cut to {MAX_TEXT:,}")
        return s[:MAX_TEXT]
    return s


def clamp_bytes(b: bytes, key: str, notes: Notes) -> bytes:
    if len(b) > MAX_TEXT:
        notes.add(f"{key}: bytes value of {len(b):,} bytes cut to {MAX_TEXT:,}")
        return b[:MAX_TEXT]
    return b
