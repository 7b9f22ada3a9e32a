"""Counting missing usage in chunks on a thread pool gives exactly the
counts of ``tokens.fill_missing_usage`` over the whole batch at once."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

from evaltop.core.formats import native
from evaltop.core.records import Usage
from evaltop.core.sources.prepare import COUNT_CHUNK, count_missing_usage
from evaltop.core.tokens import fill_missing_usage

WORDS = "invoice total Straße 東京 refund 42 ¿qué? tab\there line\nbreak <|endoftext|>".split(" ")


def _records(n: int, seed: int):
    rng = random.Random(seed)
    recs = []
    for i in range(n):
        text = " ".join(rng.choices(WORDS, k=rng.randint(0, 40)))
        inp = text if i % 3 else [{"role": "system", "content": "Be brief."}, {"role": "user", "content": text}]
        obj = {"id": f"c{i}", "ts": 1_767_225_600 + i, "input": inp,
               "output": " ".join(rng.choices(WORDS, k=rng.randint(0, 15))),
               "model": rng.choice(["gpt-4o-mini", "gpt-4-0613", "claude-haiku-4-5", ""])}
        if i % 7 == 0:
            obj["usage"] = {"input_tokens": 5, "output_tokens": 1}
        [rec] = native.parse(obj, source="app")
        recs.append(rec)
    return recs


def test_chunks_on_a_pool_count_exactly_as_one_batch():
    n = COUNT_CHUNK * 9 + 5
    chunked, whole = _records(n, 1), _records(n, 1)
    with ThreadPoolExecutor(2) as pool:
        count_missing_usage(chunked, pool)
    fill_missing_usage(whole)
    assert [r.usage for r in chunked] == [r.usage for r in whole]
    assert all(isinstance(r.usage, Usage) for r in chunked)
    assert sum(r.usage.estimated for r in chunked) == n - len(range(0, n, 7))
    assert [r.usage for r in chunked if not r.usage.estimated] == [Usage(input_tokens=5, output_tokens=1)] * len(
        range(0, n, 7))
