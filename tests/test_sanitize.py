"""The one sanitiser: what reaches a terminal from logged text."""

from __future__ import annotations

import pytest

from evaltop.core.text import sanitize

NASTY = {
    "osc0 title": "\x1b]0;pwned\x07after",
    "osc8 link": "\x1b]8;;file:///etc/passwd\x1b\\click\x1b]8;;\x1b\\",
    "osc52 clipboard": "\x1b]52;c;cm0gLXJmIH4=\x07",
    "csi clear": "\x1b[2Jcleared",
    "c1 csi": "\x9b31mred",
    "shift out": "\x0egraphics\x0f",
    "cr overwrite": "safe text\rEVIL",
    "del": "a\x7fb",
    "nul": "a\x00b",
}


@pytest.mark.parametrize("name", sorted(NASTY))
def test_clean_leaves_no_terminal_control(name):
    out = sanitize.clean(NASTY[name])
    assert not sanitize.has_control(out)
    assert not any(ord(c) < 32 and c not in "\n\t" for c in out)
    assert not any(0x7F <= ord(c) <= 0x9F for c in out)


def test_clean_keeps_newline_tab_and_printable_text():
    assert sanitize.clean("a\tb\nc é 漢字 \ufffd") == "a\tb\nc é 漢字 \ufffd"
    assert sanitize.clean("\x1b[2Jcleared") == "[2Jcleared"  # ESC gone: the rest is inert text
    assert sanitize.clean(None) == "" and sanitize.clean(42) == "42"


def test_bidi_overrides_are_shown_not_obeyed():
    out = sanitize.clean("invoice \u202egpj.exe\u202c and \u2066iso\u2069")
    assert "\u202e" not in out and "\u2066" not in out
    assert "⟪RLO⟫gpj.exe⟪PDF⟫" in out and "⟪LRI⟫iso⟪PDI⟫" in out
    assert not sanitize.has_control(out)


def test_markup_is_left_as_literal_characters():
    # The sanitiser does not escape markup: rendering as Text is what makes it literal.
    assert sanitize.clean("[@click=app.quit]x[/]") == "[@click=app.quit]x[/]"


def test_one_line_takes_first_non_empty_line_and_cuts():
    assert sanitize.one_line("\n\n  first line\nsecond", 40) == "first line …"
    assert sanitize.one_line("x" * 100, 10) == "x" * 9 + "…"
    assert sanitize.one_line("only", 10) == "only"
    assert sanitize.one_line("", 10) == "" and sanitize.one_line(None, 10) == ""
    assert sanitize.one_line("a\tb", 10) == "a b"


def test_one_line_on_a_megabyte_line_reads_only_the_head():
    huge = "\x1b" + "A" * 1_000_000
    out = sanitize.one_line(huge, 50)
    assert len(out) == 50 and out.endswith("…") and "\x1b" not in out


def test_clip_says_how_much_was_cut():
    out = sanitize.clip("y" * 30_000, 20_000)
    assert out.startswith("y" * 20_000) and "10,000 more characters not shown" in out
    assert sanitize.clip("short") == "short"
