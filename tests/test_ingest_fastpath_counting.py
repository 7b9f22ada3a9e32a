"""Counting missing usage in chunks on a thread pool gives each record the
counts tiktoken's ``encode_ordinary`` gives its texts one by one."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

from evaltop.core.ingest.formats import native
from evaltop.core.ingest.tokens import (
    TOKENS_PER_MESSAGE,
    TOKENS_REPLY_PRIMING,
    fill_missing_usage,
    get_encoding,
)
from evaltop.core.model.records import Usage

WORDS = "invoice total Straße 東京 refund 42 ¿qué? tab\there line\nbreak <|endoftext|>".split(" ")


def _records(n: int, seed: int):
    rng = random.Random(seed)
    recs = []
    for i in range(n):
        text = " ".join(rng.choices(WORDS, k=rng.randint(0, 40)))
        inp = (
            text
            if i % 3
            else [{"role": "system", "content": "Be brief."}, {"role": "user", "content": text}]
        )
        obj = {"id": f"c{i}", "ts": 1_767_225_600 + i, "input": inp,
               "output": " ".join(rng.choices(WORDS, k=rng.randint(0, 15))),
               "model": rng.choice(["gpt-4o-mini", "gpt-4-0613", "claude-haiku-4-5", ""])}
        if i % 7 == 0:
            obj["usage"] = {"input_tokens": 5, "output_tokens": 1}
        [rec] = native.parse(obj, source="app")
        recs.append(rec)
    return recs


def _reference(rec) -> Usage:
    enc = get_encoding("cl100k_base" if rec.model.startswith("gpt-4-") else "o200k_base")
    n = lambda s: len(enc.encode_ordinary(s))  # noqa: E731
    if isinstance(rec.input, list):
        inp = (
            sum(n(m.role) + n(m.content) + TOKENS_PER_MESSAGE for m in rec.input)
            + TOKENS_REPLY_PRIMING
        )
    else:
        inp = n(rec.input or "")
    return Usage(input_tokens=inp, output_tokens=n(rec.output), estimated=True)


def test_chunks_on_a_pool_count_as_encode_ordinary_text_by_text():
    n = 1001
    chunked, inline = _records(n, 1), _records(n, 1)
    want = [r.usage or _reference(r) for r in _records(n, 1)]
    with ThreadPoolExecutor(2) as pool:
        fill_missing_usage(chunked, pool)
    fill_missing_usage(inline)
    assert [r.usage for r in chunked] == want
    assert [r.usage for r in inline] == want
    assert sum(r.usage.estimated for r in chunked) == n - len(range(0, n, 7))
    assert [r.usage for r in chunked if not r.usage.estimated] == [
        Usage(input_tokens=5, output_tokens=1)
    ] * len(range(0, n, 7))
