"""Prices resolve through builtin < file < config and cost is exact picodollars."""

import json
from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaltop.core.ingest.pricing import Price, PriceBook, candidate_names, price_record
from evaltop.core.model.config import ConfigError
from evaltop.core.model.money import per_mtok_to_pusd_per_token
from evaltop.core.model.records import LoggedOutput, Usage


@pytest.fixture
def book():
    return PriceBook.builtin()


def test_builtin_table_is_dated_and_covers_the_big_four(book):
    assert book.as_of
    for m in (
        "gpt-4o-mini",
        "gpt-5",
        "claude-sonnet-4-5",
        "claude-haiku-4-5",
        "gemini-2.5-flash",
        "mistral-large",
    ):
        assert book.lookup(m) is not None, m


def test_openai_cached_tokens_billed_at_cached_rate(book):
    # gpt-4o-mini: $0.15/M input, $0.075/M cached, $0.60/M output.
    # prompt_tokens 1000 of which 400 cached; 200 completion tokens.
    u = Usage(input_tokens=1000, cached_input_tokens=400, output_tokens=200)
    # 600*0.15 + 400*0.075 + 200*0.60 = 90 + 30 + 120 = 240 micro-dollars
    assert book.cost_pusd("gpt-4o-mini", u) == 240 * 10**6


def test_anthropic_cache_reads_and_writes(book):
    # claude-sonnet-4-5: $3 in, $0.30 cache read, $3.75 cache write, $15 out (per M).
    # Anthropic usage: input_tokens=50, cache_read=10_000, cache_creation=2_000
    # -> total input 12_050.
    u = Usage(
        input_tokens=12_050, cached_input_tokens=10_000, cache_write_tokens=2_000, output_tokens=300
    )
    usd = (
        Decimal(50) * 3
        + Decimal(10_000) * Decimal("0.30")
        + Decimal(2_000) * Decimal("3.75")
        + 300 * 15
    )
    assert book.cost_pusd("claude-sonnet-4-5-20250929", u) == int(usd * 10**6)


def test_reasoning_tokens_use_reasoning_price_when_set(tmp_path, make_config):
    cfg = make_config({"pricing": {"models": {"thinker": {
        "input_per_mtok": 1, "output_per_mtok": 4, "reasoning_per_mtok": 2}}}})
    b = PriceBook.from_config(cfg)
    u = Usage(input_tokens=10, output_tokens=100, reasoning_tokens=60)
    assert b.cost_pusd("thinker", u) == (10 * 1 + 40 * 4 + 60 * 2) * 10**6
    # Without a reasoning price, reasoning is output.
    assert PriceBook.builtin().cost_pusd("o3", u) == (10 * 2 + 100 * 8) * 10**6


def test_tiny_costs_are_not_lost(book):
    # One token of gpt-5-nano cached input: $0.005/M = 5,000 picodollars.
    assert book.cost_pusd("gpt-5-nano", Usage(input_tokens=1, cached_input_tokens=1)) == 5_000


@pytest.mark.parametrize(
    "model, expected",
    [
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
        ("openai/gpt-4o", "gpt-4o"),
        ("us.anthropic.claude-3-5-sonnet-20240620-v1:0", "claude-3-5-sonnet"),
        ("claude-3-5-sonnet@20240620", "claude-3-5-sonnet"),
        ("gemini-2.5-flash-preview-05-20", "gemini-2.5-flash"),
        ("gpt-4-0613", "gpt-4"),
        ("mistral-large-latest", "mistral-large"),
        ("GPT-4O", "gpt-4o"),
        # Bedrock's global and GovCloud profiles, and its newer ids without ":0"
        ("global.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),
        ("us-gov.anthropic.claude-3-haiku-20240307-v1:0", "claude-3-haiku"),
        ("bedrock/global.anthropic.claude-opus-4-6-v1", "claude-opus-4-6"),
        ("au.anthropic.claude-opus-4-6-v1", "claude-opus-4-6"),
    ],
)
def test_dated_and_prefixed_names_fall_back(book, model, expected):
    assert expected in candidate_names(model)
    assert book.lookup(model) == book.lookup(expected)
    assert book.lookup(model) is not None


def test_a_version_suffix_is_peeled_only_from_a_bedrock_id():
    # "-v3" is part of a model's own name unless the id is a Bedrock one
    assert "deepseek" not in candidate_names("deepseek-v3")
    assert "claude-opus-4-6" in candidate_names("anthropic.claude-opus-4-6-v1")


def test_unknown_model_is_unpriced_not_zero(book):
    assert book.lookup("my-finetune") is None
    assert book.cost_pusd("my-finetune", Usage(input_tokens=5, output_tokens=5)) is None
    rec = LoggedOutput(id="x", ts=0, model="my-finetune")
    assert price_record(rec, Usage(input_tokens=5), book) == (None, None)


def test_reported_cost_wins_exactly(book):
    rec = LoggedOutput(id="x", ts=0, model="gpt-4o", reported_cost_usd=Decimal("0.000123"))
    assert price_record(rec, Usage(input_tokens=10**6), book) == (123_000_000, "reported")


def test_layers_config_beats_file_beats_builtin(tmp_path, make_config):
    (tmp_path / "prices.json").write_text(json.dumps({
        "sample_spec": {"input_cost_per_token": "ignored"},
        "gpt-4o": {"input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06,
                   "cache_read_input_token_cost": 5e-07, "litellm_provider": "openai"},
        "gpt-4o-mini": {"input_cost_per_token": 9e-06, "output_cost_per_token": 9e-06},
        "dall-e-3": {"input_cost_per_pixel": 1e-8},
    }))
    cfg = make_config(
        {
            "pricing": {
                "file": "prices.json",
                "models": {"gpt-4o-mini": {"input_per_mtok": 0.2, "output_per_mtok": 0.8}},
            }
        }
    )
    b = PriceBook.from_config(cfg)
    u = Usage(input_tokens=1_000_000, cached_input_tokens=500_000, output_tokens=1_000_000)
    assert b.lookup("gpt-4o").source == "file"
    assert b.cost_pusd("gpt-4o", u) == (Decimal("0.5") + Decimal("0.25") + 2) * 10**12
    assert b.lookup("gpt-4o-mini").source == "config"
    assert b.cost_pusd("gpt-4o-mini", Usage(input_tokens=10**6)) == Decimal("0.2") * 10**12
    assert b.lookup("claude-haiku-4-5").source == "builtin"
    assert b.lookup("dall-e-3") is None


@pytest.mark.parametrize(
    "content, message",
    [
        ("[1, 2]", "expected a JSON object"),
        ("{not json", "not a JSON price file"),
        (
            '{"m": {"input_cost_per_token": "cheap", "output_cost_per_token": 1}}',
            "m.input_cost_per_token",
        ),
        ('{"m": {"input_cost_per_token": -1, "output_cost_per_token": 1}}', "finite number >= 0"),
    ],
)
def test_bad_price_file_names_file_and_key(tmp_path, make_config, content, message):
    (tmp_path / "p.json").write_text(content)
    with pytest.raises(ConfigError) as info:
        PriceBook.from_config(make_config({"pricing": {"file": "p.json"}}))
    assert str(tmp_path / "p.json") in str(info.value) and message in str(info.value)


def test_missing_price_file_is_a_clear_error(make_config):
    with pytest.raises(ConfigError, match="cannot read price file"):
        PriceBook.from_config(make_config({"pricing": {"file": "nope.json"}}))


# --- exact sums: whole-picodollar rates take an integer path, the rest Decimal ---

_RATE = st.decimals(min_value=0, max_value=200, places=7, allow_nan=False, allow_infinity=False)
_COUNT = st.integers(min_value=0, max_value=5_000_000)


def _reference_cost(rates: dict, counts: tuple[int, int, int, int, int]) -> int:
    """The cost as docs/pricing.md states it, in plain Decimal: uncached input
    at the input rate, cache reads and writes at theirs (else the input
    rate), output less reasoning at the output rate, reasoning at its own
    (else the output rate); summed exactly, rounded once, half-even."""
    inp, out, cached, write, reasoning = counts
    pt = {k: (None if v is None else per_mtok_to_pusd_per_token(v)) for k, v in rates.items()}
    reasoning = min(reasoning, out)
    total = (
        max(0, inp - cached - write) * pt["input"]
        + cached * (pt["cached"] if pt["cached"] is not None else pt["input"])
        + write * (pt["write"] if pt["write"] is not None else pt["input"])
        + (out - reasoning) * pt["output"]
        + reasoning * (pt["reasoning"] if pt["reasoning"] is not None else pt["output"])
    )
    return int(total.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


@settings(max_examples=400, deadline=None)
@given(
    rates=st.fixed_dictionaries({
        "input": _RATE, "output": _RATE, "cached": st.none() | _RATE, "write": st.none() | _RATE,
        "reasoning": st.none() | _RATE,
    }),
    counts=st.tuples(_COUNT, _COUNT, _COUNT, _COUNT, _COUNT),
    whole=st.booleans(),
)
def test_cost_is_exact_on_both_paths(rates, counts, whole):
    if whole:  # whole picodollars per token: USD per Mtok with at most 6 decimals
        rates = {
            k: (None if v is None else v.quantize(Decimal("0.000001"))) for k, v in rates.items()
        }
    pusd = {k: None if v is None else per_mtok_to_pusd_per_token(v) for k, v in rates.items()}
    price = Price(input=pusd["input"], output=pusd["output"], cached_input=pusd["cached"],
                  cache_write=pusd["write"], reasoning=pusd["reasoning"])
    inp, out, cached, write, reasoning = counts
    got = price.cost_of(inp, out, cached, write, reasoning)
    assert type(got) is int
    assert got == _reference_cost(rates, counts)
    if cached + write <= inp and reasoning <= out:  # a valid Usage: the record path agrees
        usage = Usage(input_tokens=inp, output_tokens=out, cached_input_tokens=cached,
                      cache_write_tokens=write, reasoning_tokens=reasoning)
        assert price.cost_pusd(usage) == got


def test_half_a_picodollar_rounds_to_even():
    half = Price(input=Decimal("0.5"), output=Decimal("1.5"))
    assert [half.cost_of(n, 0) for n in (1, 2, 3, 5)] == [0, 1, 2, 2]
    assert [half.cost_of(0, n) for n in (1, 3)] == [2, 4]
