"""The built-in price table is internally consistent and says where it comes from.

A typo in core/data/prices.json (a cache read above the input rate, a batch
rate above the standard one, a long-context tier cheaper than the base) would
misprice every call of that model without any other test noticing; these
checks run over every entry, and each has a case showing it can fail.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from evaltop.core.ingest.pricing.sources import builtin_prices, builtin_table

PROVIDERS = {"openai", "anthropic", "google", "mistral", "deepseek", "xai"}
MODES = ("batch", "flex", "priority")
STEMS = ("input", "cached_input", "cache_write", "cache_write_1h", "output", "reasoning")
DOCS = Path(__file__).resolve().parents[1] / "docs" / "pricing.md"


def _rate(entry: dict, stem: str, mode: str = "") -> Decimal | None:
    v = entry.get(f"{mode}_{stem}_per_mtok" if mode else f"{stem}_per_mtok")
    return None if v is None else Decimal(str(v))


def _rate_set_faults(where: str, e: dict) -> list[str]:
    """Faults inside one set of rates (an entry, or one tier of it)."""
    out = []
    for mode in ("", *MODES):
        inp, out_ = _rate(e, "input", mode), _rate(e, "output", mode)
        read, w5, w1 = (_rate(e, s, mode) for s in ("cached_input", "cache_write",
                                                     "cache_write_1h"))
        tag = f"{where} {mode or 'standard'}"
        if mode == "" and (not inp or not out_):
            out.append(f"{tag}: input and output must be priced above $0")
        if inp is not None and read is not None and read > inp:
            out.append(f"{tag}: cache read {read} above input {inp}")
        if w5 is not None and read is not None and w5 < read:
            out.append(f"{tag}: 5-minute write {w5} below cache read {read}")
        if w1 is not None and w5 is not None and w1 < w5:
            out.append(f"{tag}: 1-hour write {w1} below 5-minute write {w5}")
        if mode:
            for stem in STEMS:
                m, std = _rate(e, stem, mode), _rate(e, stem)
                if m is None or std is None:
                    continue
                if mode in ("batch", "flex") and m > std:
                    out.append(f"{tag}: {stem} {m} above the standard {std}")
                if mode == "priority" and m < std:
                    out.append(f"{tag}: {stem} {m} below the standard {std}")
    return out


def entry_faults(name: str, e: dict) -> list[str]:
    faults = []
    if e.get("provider") not in PROVIDERS:
        faults.append(f"{name}: provider {e.get('provider')!r} not one of {sorted(PROVIDERS)}")
    if not e.get("ref"):
        faults.append(f"{name}: no ref naming where its rates come from")
    faults += _rate_set_faults(name, e)
    last = 0
    for t in e.get("tiers", []):
        where = f"{name} tier above {t['above_input_tokens']}"
        if t["above_input_tokens"] <= last:
            faults.append(f"{where}: thresholds must rise")
        last = t["above_input_tokens"]
        faults += _rate_set_faults(where, t)
        for stem in STEMS:
            for mode in ("", *MODES):
                tier_rate, base = _rate(t, stem, mode), _rate(e, stem, mode)
                if tier_rate is not None and base is not None and tier_rate < base:
                    faults.append(f"{where}: {mode or 'standard'} {stem} {tier_rate}"
                                  f" below the base {base}")
    return faults


def _entries():
    for name, entry in builtin_table()["models"].items():
        for e in entry if isinstance(entry, list) else [entry]:
            yield name, e


def test_every_builtin_entry_is_consistent():
    faults = [f for name, e in _entries() for f in entry_faults(name, e)]
    assert faults == []


def test_every_builtin_entry_parses():
    prices, as_of = builtin_prices()
    assert len(prices) == len(builtin_table()["models"]) and as_of


@pytest.mark.parametrize(("entry", "fault"), [
    ({"input_per_mtok": 1, "output_per_mtok": 2, "cached_input_per_mtok": 1.5},
     "cache read 1.5 above input 1"),
    ({"input_per_mtok": 1, "output_per_mtok": 2, "batch_output_per_mtok": 3},
     "batch: output 3 above the standard 2"),
    ({"input_per_mtok": 1, "output_per_mtok": 2, "priority_input_per_mtok": 0.5},
     "priority: input 0.5 below the standard 1"),
    ({"input_per_mtok": 1, "output_per_mtok": 2, "cache_write_per_mtok": 1.25,
      "cache_write_1h_per_mtok": 1}, "1-hour write 1 below 5-minute write 1.25"),
    ({"input_per_mtok": 1, "output_per_mtok": 2,
      "tiers": [{"above_input_tokens": 200000, "input_per_mtok": 0.5, "output_per_mtok": 3}]},
     "standard input 0.5 below the base 1"),
    ({"input_per_mtok": 0, "output_per_mtok": 2}, "input and output must be priced above $0"),
])
def test_the_checks_catch_a_bad_entry(entry, fault):
    faults = entry_faults("m", {"provider": "openai", "ref": "test", **entry})
    assert any(fault in f for f in faults), faults


def test_as_of_matches_the_note_and_the_docs():
    table = builtin_table()
    as_of = table["as_of"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", as_of)
    assert f"read {as_of}" in table["note"]
    # every date the note names is the table's date: a refresh updates both
    assert set(re.findall(r"\d{4}-\d{2}-\d{2}", table["note"])) == {as_of}
    docs = DOCS.read_text(encoding="utf-8")
    assert f"**{as_of}**" in docs


def test_builtin_covers_each_provider_current_models():
    models = builtin_table()["models"]
    by_provider = {p: [n for n, e in _entries() if e["provider"] == p] for p in PROVIDERS}
    assert all(by_provider.values()), by_provider
    for name in ("claude-opus-4-5", "claude-opus-4-6", "claude-sonnet-4-5", "claude-haiku-4-5",
                 "gpt-5.2", "gpt-4.1", "gpt-4.1-mini", "o3", "o4-mini", "gemini-2.5-pro",
                 "gemini-3-flash", "mistral-large", "deepseek-chat", "grok-4.5",
                 "grok-code-fast-1"):  # an API chat model, not an IDE product
        assert name in models, name
