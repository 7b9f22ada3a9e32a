"""The integer-picodollar sum equals a Decimal reference computed the plain
way (tokens x USD per Mtok, summed, rounded once half-even), for every
bucket, tier and mode; ``explain`` adds up to the same cost; reasoning is
never counted twice."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from evaltop.core.ingest.pricing import PriceBook, explain, price_from_mtok
from evaltop.core.model.records import LoggedOutput, Usage

_RATE = st.decimals(min_value=0, max_value=200, places=7, allow_nan=False, allow_infinity=False)
_COUNT = st.integers(min_value=0, max_value=3_000_000)
KEYS = ("input", "cached_input", "cache_write", "cache_write_1h", "output", "reasoning")


def _reference(rates: dict[str, Decimal], counts: dict[str, int]) -> int:
    """Independent of the engine: USD per Mtok x tokens, in Decimal, once rounded."""
    usd = sum((Decimal(counts[k]) * rates[k] for k in KEYS), Decimal(0)) / Decimal(1_000_000)
    return int((usd * 10**12).to_integral_value(rounding=ROUND_HALF_EVEN))


@settings(max_examples=300, deadline=None)
@given(
    rates=st.fixed_dictionaries({
        name: st.fixed_dictionaries({k: _RATE for k in KEYS})
        for name in ("base", "tier", "batch", "tier_batch")
    }),
    above=st.integers(min_value=0, max_value=4_000_000),
    use_batch=st.booleans(),
    whole=st.booleans(),
    n=st.fixed_dictionaries({"uncached": _COUNT, "read": _COUNT, "w5": _COUNT, "w1": _COUNT,
                             "out": _COUNT, "reasoning": _COUNT}),
)
def test_engine_sum_equals_decimal_reference(rates, above, use_batch, whole, n):
    if whole:  # whole picodollars per token: the integer fast path
        rates = {name: {k: v.quantize(Decimal("0.000001")) for k, v in d.items()}
                 for name, d in rates.items()}
    entry = {f"{k}_per_mtok": v for k, v in rates["base"].items()}
    entry.update({f"batch_{k}_per_mtok": v for k, v in rates["batch"].items()})
    tier = {f"{k}_per_mtok": v for k, v in rates["tier"].items()}
    tier.update({f"batch_{k}_per_mtok": v for k, v in rates["tier_batch"].items()})
    entry["tiers"] = [{"above_input_tokens": above, **tier}]
    book = PriceBook({"m": price_from_mtok("m", entry, source="config", where="t")})
    inp = n["uncached"] + n["read"] + n["w5"] + n["w1"]
    out = n["out"] + n["reasoning"]
    usage = Usage(input_tokens=inp, output_tokens=out, cached_input_tokens=n["read"],
                  cache_write_tokens=n["w5"] + n["w1"], cache_write_1h_tokens=n["w1"],
                  reasoning_tokens=n["reasoning"])
    rec = LoggedOutput(id="x", ts=0, model="m", usage=usage, batch=use_batch)
    which = ("tier" if inp > above else "base") + ("_batch" if use_batch else "")
    expected = _reference(rates[which.replace("base_", "")], {
        "input": n["uncached"], "cached_input": n["read"], "cache_write": n["w5"],
        "cache_write_1h": n["w1"], "output": n["out"], "reasoning": n["reasoning"]})
    q = book.quote("m", 0.0, inp, out, n["read"], n["w5"] + n["w1"], n["w1"], n["reasoning"],
                   use_batch, None)
    assert type(q.cost_pusd) is int and q.cost_pusd == expected
    assert q.price_fallback is None
    assert explain(rec, book).total_pusd == expected
    if not use_batch:  # the judges' path (a Usage, standard mode) is the same engine
        assert book.lookup("m").cost_pusd(usage) == expected


@settings(max_examples=200, deadline=None)
@given(out=_COUNT, reasoning=_COUNT)
def test_reasoning_is_inside_output_never_added_twice(out, reasoning):
    reasoning = min(reasoning, out)
    book = PriceBook.builtin()
    with_r = book.quote("o3", 0.0, 0, out, 0, 0, None, reasoning)
    without = book.quote("o3", 0.0, 0, out, 0, 0, None, 0)
    assert with_r.cost_pusd == without.cost_pusd == out * 8 * 10**6  # $8 per Mtok either way
