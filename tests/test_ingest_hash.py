"""The pipeline's fast input hash must equal records.text_hash exactly: it
keys "same prompt" across ingest, sampling, corpus and compare."""

from __future__ import annotations

import random

import pytest

from evaltop.core.ingest.prepare import input_hash
from evaltop.core.model.records import text_hash

EVERY_CHAR = "".join(chr(i) for i in range(0x30000) if not 0xD800 <= i < 0xE000)


@pytest.mark.parametrize("text", [
    "", " ", "plain words only", " leading", "trailing ", "two  spaces", "tab\there", "line\nbreak",
    "cr\r\nlf", "\x0bvt\x0cff", "seps\x1c\x1d\x1e\x1f", "MiXeD CaSe", "ＡＢＣ　ｄｅ\u00a0f\u2003g",
    "Straße ß ﬁ ǅ", "nel\x85ls\u2028ps\u2029", "  \u3000 ", EVERY_CHAR,
])
def test_same_as_text_hash(text):
    assert input_hash(text) == text_hash(text)


def test_same_on_random_ascii_and_unicode_mixes():
    rng = random.Random(3)
    alphabet = "ab C\t\n\r \x0b\x0c\x1c\x1f\u00a0\u2003ß\ufb01Ａ"
    for _ in range(2000):
        s = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        assert input_hash(s) == text_hash(s), repr(s)


def test_same_on_every_ascii_character_mix():
    """The bytes path (ASCII with newlines or runs of blanks) against the
    reference, with every ASCII character, control characters included."""
    rng = random.Random(5)
    alphabet = [chr(i) for i in range(128)] + [" ", "\n", "  "] * 8
    for _ in range(3000):
        s = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert input_hash(s) == text_hash(s), repr(s)
