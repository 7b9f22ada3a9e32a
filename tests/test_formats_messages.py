"""The plain-messages fast path gives exactly what the general path gives,
and declines every shape it does not fully understand."""

from __future__ import annotations

import random

from evaltop.core.ingest.formats.messages import _plain_messages, chat_message

ROLES = ["user", "assistant", "system", "", None, 3]
TEXTS = ["hi", "", "two\nlines", None, 5, ["x"]]


def _part(rng: random.Random):
    kind = rng.choice(["text", "text", None, "image", "tool_call", "input_text"])
    part = {} if kind is None else {"type": kind}
    part[rng.choice(["text", "content"])] = rng.choice(TEXTS)
    return rng.choice([part, part, "bare string", 7])


def _message(rng: random.Random):
    m = {}
    if rng.random() < 0.9:
        m["role"] = rng.choice(ROLES)
    shape = rng.random()
    if shape < 0.35:
        m["content"] = rng.choice(TEXTS)
    elif shape < 0.8:
        m[rng.choice(["parts", "content"])] = [_part(rng) for _ in range(rng.randint(0, 3))]
    if rng.random() < 0.1:
        m["tool_calls"] = [{"function": {"name": "f", "arguments": "{}"}}]
    return rng.choice([m] * 9 + ["just text"])


def test_fast_path_equals_the_general_path():
    rng = random.Random(7)
    taken = 0
    for _ in range(3000):
        value = [_message(rng) for _ in range(rng.randint(1, 4))]
        fast = _plain_messages(value)
        if fast is None:
            continue
        taken += 1
        assert fast == [chat_message(m, "t", f"m[{i}]") for i, m in enumerate(value)], value
    assert taken > 300  # the fast path is actually exercised


def test_fast_path_declines_tool_calls_and_media():
    assert _plain_messages([{"role": "assistant", "tool_calls": []}]) is None
    assert _plain_messages([{"role": "user", "content": [{"type": "image"}]}]) is None
    assert _plain_messages([{"role": "user", "parts": [{"type": "text", "content": "a"},
                                                      {"type": "text", "content": "b"}]}]) == [
        {"role": "user", "content": "ab"}]
