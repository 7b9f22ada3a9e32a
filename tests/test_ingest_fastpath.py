"""The native fast path (``formats.native.fast_output``) against the full
path (``native.parse_full``: every value converted, then ``model_validate``),
and the row ingest builds straight from such a line
(``prepare.native_row``) against the row of the full path's record.

Whenever the fast path returns a record, the full path must return the same
record: equal, same field types, same ``model_fields_set`` (the record's and
its nested models'), same JSON. Whenever the full path rejects a line, the
fast path must have declined it (so the reject reason is the full path's,
word for word). Run over every sample line of every format and a generated
corpus of valid, odd and broken native lines.
"""

from __future__ import annotations

import random
from pathlib import Path

import orjson
import pytest

from evaltop.core.ingest import prepare, tokens
from evaltop.core.ingest.formats import FormatError, common, native, parse_record
from evaltop.core.ingest.pricing import Price, PriceBook, Tier
from evaltop.core.ingest.tail.jsonl_tail import Batch
from evaltop.core.model.money import per_mtok_to_pusd_per_token
from evaltop.core.model.records import LoggedOutput, Usage
from evaltop.store.checkpoints import Checkpoint
from evaltop.store.outputs import OUTPUT_COLUMNS

SAMPLES = Path(__file__).parent / "data" / "formats"


def _full(obj) -> tuple[str, object]:
    """The reference, as parse_record would run it: ("ok", records) or ("reject", reason)."""
    try:
        return "ok", native.parse_full(obj, source="app", line_hash="h1")
    except FormatError as exc:
        return "reject", str(exc)
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError, RecursionError) as exc:
        return "reject", f"unexpected {type(exc).__name__}"


def _assert_same(fast: LoggedOutput, ref: LoggedOutput) -> None:
    assert type(fast) is type(ref) is LoggedOutput
    assert fast == ref
    assert fast.model_fields_set == ref.model_fields_set
    for name in LoggedOutput.model_fields:
        a, b = getattr(fast, name), getattr(ref, name)
        assert type(a) is type(b), name
        if isinstance(a, list):
            assert [type(x) for x in a] == [type(x) for x in b], name
            assert [getattr(x, "model_fields_set", None) for x in a] == \
                [getattr(x, "model_fields_set", None) for x in b], name
    if ref.usage is not None:
        assert fast.usage.model_fields_set == ref.usage.model_fields_set
    assert fast.model_dump_json() == ref.model_dump_json()
    assert list(fast.metadata) == list(ref.metadata)  # key order: metadata_json is stored as is


# Whole picodollars per token (the built-in table: integer sums) and a price
# with fractions of a picodollar per token (Decimal sums, rounded once).
BOOKS = (
    PriceBook.builtin(),
    PriceBook({"gpt-4o-mini": Price(
        input=per_mtok_to_pusd_per_token("0.1234567"),
        output=per_mtok_to_pusd_per_token("0.6000001"),
        cached_input=per_mtok_to_pusd_per_token("0.0617283"),
        tiers=(Tier(1000, {"input": per_mtok_to_pusd_per_token("0.3"),
                           "output": per_mtok_to_pusd_per_token("0.9")}),),
        modes={"flex": {"input": per_mtok_to_pusd_per_token("0.0617")}},
    )}),
)


def _counted_row(obj, book: PriceBook) -> tuple:
    """The row ingest lays out for a fast line without usage: its checked
    values kept as they are, the usage counted, then the row."""
    batch = Batch(source="app", path="app.jsonl", lines=[], rejects=[],
                  checkpoint=Checkpoint(source="app", file_key="k", path="app.jsonl"))
    parsed = prepare.Parsed(batch, 1.5, outputs=[native.fast_values(obj)])
    [row] = prepare.finish(parsed, book).outputs.values()
    return row


def _assert_same_rows(obj, ref: LoggedOutput) -> None:
    """The row built straight from the line equals the row of the full
    path's record: at once for lines that report usage, after counting for
    the rest (zero usage for unbilled failed calls)."""
    for book in BOOKS:
        row = prepare.native_row(obj, book, "app", 1.5)
        rec = ref.model_copy()
        unbilled = prepare.unbilled_error(rec)
        if rec.usage is None:
            assert row is None
            row = _counted_row(obj, book)
            rec.usage = Usage() if unbilled else tokens.estimate_usage(rec)
        expected = prepare._output_row(rec, book, "app", 1.5, unbilled)
        assert len(row) == len(OUTPUT_COLUMNS)
        assert row == expected
        assert [type(x) for x in row] == [type(x) for x in expected]


def check(obj) -> str:
    """Compare both paths on one decoded line; returns which path was taken."""
    kind, ref = _full(obj)
    fast = native.fast_output(obj, "app") if isinstance(obj, dict) else None
    if fast is None:
        if isinstance(obj, dict):
            assert prepare.native_row(obj, BOOKS[0], "app", 1.5) is None
        return "declined" if kind == "ok" else "rejected"
    assert kind == "ok", f"fast path accepted a line the full path rejects: {ref}"
    assert len(ref) == 1
    _assert_same(fast, ref[0])
    _assert_same_rows(obj, ref[0])
    return "fast"


def test_assembly_matches_validation_on_this_pydantic():
    # off, the fast path would decline everything and this file prove nothing
    assert common.FAST


def test_every_sample_line_of_every_format():
    taken = {"fast": 0, "declined": 0, "rejected": 0}
    for path in sorted(SAMPLES.glob("*.jsonl")):
        for line in path.read_bytes().splitlines():
            if line.strip():
                taken[check(orjson.loads(line))] += 1
    # other formats' lines: the full path rejects them (issue 12), the fast one declines
    assert taken["fast"] >= 1 and taken["declined"] >= 4 and taken["rejected"] >= 25, taken


# --- a generated corpus: a valid base record with one to four fields mutated ---

_VALUES = {
    "id": ["r1", "", 7, 7.5, None, True, ["x"], {"a": 1}, "ü-id", "x\ud800", " sp ", "h:abc"],
    "ts": [
        1_767_225_600,
        1_767_225_600.25,
        1_767_225_600_123,
        1_767_225_600_123_456,
        1_767_225_600_123_456_789,
        "2026-01-01T00:00:00Z",
        "2026-01-01T00:00:00z",
        "2026-01-01T02:00:00+02:00",
        "2026-01-01 00:00:00",
        "2026-01-01T00:00:00.123456Z",
        "2026-01-01",
        " 1767225600 ",
        "1767225600.5",
        "-5",
        0,
        -1.5,
        True,
        False,
        "yesterday",
        "",
        None,
        [1],
        {"s": 1},
        1e300,
        -1e300,
        float("inf"),
        float("nan"),
        10**30,
        "2026-13-01T00:00:00Z",
    ],
    "model": ["gpt-4o-mini", "claude-haiku-4-5", "", 4, None, ["m"], "OpenAI/GPT-4O",
              "claude-sonnet-4-5-20250929", "gpt-5", "gemini-2.5-pro"],
    "provider": ["openai", "Azure", "", None, 3, " anthropic ", "unknown-co"],
    "task": ["qa", "", None, 1, {"t": 1}],
    "prompt_version": ["v3", None, 2.0, ""],
    "variant": ["A", None, False],
    "finish_reason": ["stop", None, 1, "length"],
    "type": [None, "output", "feedback", "other", 1, ["output"]],
    "input": [
        "plain prompt",
        "",
        None,
        5,
        1.5,
        True,
        {"role": "user", "content": "x"},
        [],
        [{"role": "user", "content": "hi"}],
        [{"role": "system", "content": "s"}, {"role": "user", "content": ""}],
        [{"role": "", "content": "x"}],
        [{"role": None, "content": "x"}],
        [{"content": "x"}],
        [{"role": "user"}],
        [{"role": "user", "content": None}],
        [{"role": "user", "content": [{"type": "text", "text": "t"}]}],
        [{"role": "user", "content": "x", "name": "n"}],
        [{"role": 1, "content": "x"}],
        ["bare string"],
        [5],
        [
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [{"function": {"name": "f", "arguments": "{}"}}],
            }
        ],
    ],
    "output": [
        "answer",
        "",
        None,
        3,
        [{"type": "text", "text": "a"}],
        {"role": "assistant", "content": "c"},
        {"x": 1},
        True,
    ],
    "usage": [
        None,
        {},
        {"input_tokens": 10, "output_tokens": 2},
        {
            "input_tokens": 10,
            "output_tokens": 5,
            "cached_input_tokens": 4,
            "cache_write_tokens": 6,
            "reasoning_tokens": 5,
        },
        {"input_tokens": 10, "cached_input_tokens": 11},
        {"output_tokens": 1, "reasoning_tokens": 2},
        {"input_tokens": -1},
        {"input_tokens": 10.0},
        {"input_tokens": 10.5},
        {"input_tokens": "10"},
        {"input_tokens": " 10 "},
        {"input_tokens": True},
        {"input_tokens": None, "output_tokens": None},
        {"prompt_tokens": 3},
        {"input_tokens": 1, "total_tokens": "x"},
        {"estimated": True},
        [1],
        "10",
        5,
        {"input_tokens": 2**70},
        {"input_tokens": 500, "output_tokens": 5, "cache_write_tokens": 300,
         "cache_write_1h_tokens": 100},
        {"input_tokens": 250_000, "output_tokens": 9, "cached_input_tokens": 1000,
         "cache_write_tokens": 300, "cache_write_1h_tokens": 300, "reasoning_tokens": 4},
        {"input_tokens": 10, "cache_write_tokens": 2, "cache_write_1h_tokens": 3},
        {"input_tokens": 10, "cache_write_tokens": 2, "cache_write_1h_tokens": "1"},
        {"input_tokens": 10, "cache_write_tokens": 2, "cache_write_1h_tokens": None},
        {"input_tokens": 10, "cache_write_tokens": 2, "cache_write_1h_tokens": -1},
    ],
    "batch": [True, False, None, "yes", 1],
    "service_tier": ["flex", "priority", "default", None, 3, "scale", ""],
    "latency_ms": [
        812,
        812.5,
        0,
        -3,
        None,
        "812",
        "fast",
        True,
        float("nan"),
        float("inf"),
        2**60,
        10**400,
        [1],
        -0.0,
    ],
    "tags": [["a", "b"], [], None, "a, b", ["a", None], ["a", 1], "x", 5, {"a": 1}, [""]],
    "metadata": [
        {"tenant": "acme"},
        {},
        None,
        [],
        "m",
        5,
        {"user": {"nested": [1, 2]}},
        {"ts": "dup"},
    ],
    "confidence": [0.5, 0, 1, 1.0, 1.5, -0.1, None, "0.5", True, float("nan"), 2**60],
    "logprobs": [
        None,
        [-0.1, -0.2],
        [],
        [0.5],
        [{"token": "a", "logprob": -0.3}],
        {"content": []},
        "x",
    ],
    "error": [None, "", "timeout", False, True, 0, {"message": "boom"}, {"code": 500}, ["e"], 1.5],
    "cost_usd": [None, 0.0125, "0.5", -1, "x", True],
    "region": ["eu", None, {"nested": 1}],  # unknown keys: kept in metadata
    "zzz": [1, [1, 2]],
}


def _base(i: int) -> dict:
    return {
        "id": f"g{i}",
        "ts": 1_767_225_600 + i * 0.5,
        "model": "gpt-4o-mini",
        "provider": "openai",
        "task": f"task{i % 5}",
        "prompt_version": "v3",
        "input": "the invoice total " * (i % 4),
        "output": "answer",
        "usage": {"input_tokens": 300 + i, "output_tokens": 70},
        "latency_ms": 800 + i,
    }


def generated_corpus(n: int, seed: int = 11) -> list[dict]:
    rng = random.Random(seed)
    keys = list(_VALUES)
    corpus = []
    for i in range(n):
        obj = _base(i)
        for key in rng.sample(keys, rng.randint(1, 4)):
            choice = rng.choice(_VALUES[key] + ["<drop>"])
            if choice == "<drop>":
                obj.pop(key, None)
            else:
                obj[key] = choice
        if rng.random() < 0.2:  # key order must not matter (metadata order may)
            obj = dict(rng.sample(list(obj.items()), len(obj)))
        corpus.append(obj)
    return corpus


def test_generated_corpus_fast_equals_full():
    taken = {"fast": 0, "declined": 0, "rejected": 0}
    for obj in generated_corpus(4000):
        taken[check(obj)] += 1
    # all three outcomes well represented, or the corpus proves little
    assert min(taken.values()) >= 300, taken


def test_generated_corpus_through_json_lines():
    """As ingest sees them: encoded and decoded by orjson (no NaN, no lone
    surrogates, big ints as they round-trip)."""
    taken = {"fast": 0, "declined": 0, "rejected": 0}
    for obj in generated_corpus(1500, seed=12):
        try:
            line = orjson.dumps(obj)
        except (orjson.JSONEncodeError, TypeError):
            continue
        taken[check(orjson.loads(line))] += 1
    assert taken["fast"] >= 100 and taken["rejected"] >= 100, taken


def test_parse_record_uses_the_fast_path_and_keeps_reject_reasons():
    obj = _base(1)
    [rec] = parse_record(obj, "native", source="app", line_hash="h1")
    assert (
        rec
        == native.fast_output(obj, "app")
        == native.parse_full(obj, source="app", line_hash="h1")[0]
    )
    bad = dict(obj, usage={"input_tokens": 5, "cached_input_tokens": 9})
    assert native.fast_output(bad) is None
    with pytest.raises(FormatError, match="cache reads 9 \\+ writes 0 exceed input tokens 5"):
        parse_record(bad, "native")


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 10**400])
def test_non_finite_latency_is_left_to_the_full_path(value):
    obj = dict(_base(2), latency_ms=value)
    assert native.fast_output(obj) is None
    assert _full(obj)[0] == "reject"


def test_lines_without_usage_count_or_go_unbilled_as_the_full_path():
    """Lines that report no usage: counted (chat input too), or, for a failed
    call with no output, the unbilled zero-cost row."""
    taken = {"fast": 0, "declined": 0, "rejected": 0}
    for i, (error, output, inp) in enumerate(
        (e, o, x)
        for e in (None, "", "timeout", {"message": "boom"})
        for o in ("", None, "answer")
        for x in ("the invoice", None, "", [{"role": "user", "content": "hi"}], [])
    ):
        obj = {k: v for k, v in _base(i).items() if k != "usage"}
        obj.update(error=error, output=output, input=inp)
        taken[check(obj)] += 1
    assert taken["fast"] >= 40, taken
