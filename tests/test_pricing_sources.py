"""Prices as data: LiteLLM's keys for every rule, the same rules in TOML,
dated entries, name resolution and the entry that priced a record."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from pricing_helpers import row, usd

from evaltop.core.ingest.pricing import PriceBook, explain, load_litellm_file
from evaltop.core.model.config import ConfigError

LITELLM = {
    "sample_spec": {"input_cost_per_token": 0},
    "long-model": {
        "input_cost_per_token": 3e-06, "output_cost_per_token": 1.5e-05,
        "cache_read_input_token_cost": 3e-07, "cache_creation_input_token_cost": 3.75e-06,
        "cache_creation_input_token_cost_above_1hr": 6e-06,
        "input_cost_per_token_above_200k_tokens": 6e-06,
        "output_cost_per_token_above_200k_tokens": 2.25e-05,
        "cache_read_input_token_cost_above_200k_tokens": 6e-07,
        "cache_creation_input_token_cost_above_200k_tokens": 7.5e-06,
        "cache_creation_input_token_cost_above_1hr_above_200k_tokens": 1.2e-05,
        "input_cost_per_token_batches": 1.5e-06, "output_cost_per_token_batches": 7.5e-06,
        "input_cost_per_token_priority": 6e-06, "output_cost_per_token_priority": 3e-05,
        "input_cost_per_token_above_200k_tokens_priority": 1.2e-05,
        "output_cost_per_token_above_200k_tokens_priority": 4.5e-05,
        "input_cost_per_token_flex": 1.5e-06, "output_cost_per_token_flex": 7.5e-06,
        "cache_read_input_token_cost_flex": 1.5e-07,
        "output_cost_per_reasoning_token": 2e-05,
        "search_context_cost_per_query": {"low": 0.01},
    },
    "image-only": {"output_cost_per_image": 0.04},
}


@pytest.fixture
def litellm_book(tmp_path):
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(LITELLM))
    book = PriceBook({})
    for name, p in load_litellm_file(path).items():
        book.add(name, p)
    return book


def test_litellm_keys_for_every_rule(litellm_book):
    p = litellm_book.lookup("long-model")
    assert set(litellm_book.models()) == {"long-model"}
    assert p.source == "file" and len(p.tiers) == 1 and p.tiers[0].above == 200_000
    nat = {"id": "a", "ts": 1767225600, "model": "long-model"}
    # 1-hour writes in the >200k tier: 190,000 x $6 + 20,000 x $12 + 10 output x $22.50
    r = row(dict(nat, usage={"input_tokens": 210_000, "cache_write_tokens": 20_000,
                             "cache_write_1h_tokens": 20_000, "output_tokens": 10}),
            "native", litellm_book)
    assert r["cost_pusd"] == usd(1_140_000 + 240_000) + usd("225")
    # priority in the tier: 300,000 x $12 + 0 output
    r = row(dict(nat, id="b", service_tier="priority", usage={"input_tokens": 300_000}),
            "native", litellm_book)
    assert r["cost_pusd"] == usd(3_600_000)
    # flex: 900 x $1.50 + 100 cache reads x $0.15 + 10 output x $7.50; reasoning below
    r = row(dict(nat, id="c", service_tier="flex", usage={
        "input_tokens": 1000, "cached_input_tokens": 100, "output_tokens": 10}),
        "native", litellm_book)
    assert r["cost_pusd"] == usd(1350) + usd(15) + usd(75)
    # own reasoning rate: 4 reasoning x $20 + 6 output x $15
    r = row(dict(nat, id="d", usage={"output_tokens": 10, "reasoning_tokens": 4}),
            "native", litellm_book)
    assert r["cost_pusd"] == usd(80 + 90)
    # batch: 1,000 x $1.50 + 10 x $7.50
    r = row(dict(nat, id="e", batch=True, usage={"input_tokens": 1000, "output_tokens": 10}),
            "native", litellm_book)
    assert r["cost_pusd"] == usd(1500 + 75)


def test_litellm_bad_rate_names_file_and_key(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"m": {"input_cost_per_token": 1e-6, "output_cost_per_token": 1e-6,
                                      "input_cost_per_token_above_200k_tokens": "lots"}}))
    with pytest.raises(ConfigError, match="m.input_cost_per_token_above_200k_tokens"):
        load_litellm_file(path)


def test_toml_prices_take_the_same_rules(make_config):
    cfg = make_config({"pricing": {"models": {"my-model": {
        "input_per_mtok": 2, "output_per_mtok": 8, "cached_input_per_mtok": 0.5,
        "cache_write_per_mtok": 2.5, "cache_write_1h_per_mtok": 4,
        "batch_input_per_mtok": 1, "batch_output_per_mtok": 4,
        "priority_input_per_mtok": 4, "priority_output_per_mtok": 16,
        "tiers": [{"above_input_tokens": 100_000, "input_per_mtok": 4, "output_per_mtok": 12}],
    }}}})
    book = PriceBook.from_config(cfg)
    nat = {"id": "a", "ts": 1767225600, "model": "my-model"}
    r = row(dict(nat, usage={"input_tokens": 1000, "cache_write_tokens": 600,
                             "cache_write_1h_tokens": 200, "output_tokens": 10}), "native", book)
    # 400 x $2 + 400 x $2.50 + 200 x $4 + 10 x $8
    assert r["cost_pusd"] == usd(800 + 1000 + 800 + 80) and r["cost_source"] == "config"
    # the tier: cache reads scale with the tier's input ratio (2x): flagged as derived
    r = row(dict(nat, id="b", usage={"input_tokens": 200_000, "cached_input_tokens": 100_000}),
            "native", book)
    assert r["cost_pusd"] == usd(100_000 * 4 + 100_000 * 1)
    assert "input ratio" in r["price_fallback"]
    r = row(dict(nat, id="c", service_tier="priority", usage={"input_tokens": 10}), "native", book)
    assert r["cost_pusd"] == usd(40)


@pytest.mark.parametrize("bad, where", [
    ({"input_per_mtok": 1, "output_per_mtok": 1, "cache_write_1hr_per_mtok": 1},
     "cache_write_1hr_per_mtok"),
    ({"input_per_mtok": 1, "output_per_mtok": 1, "tiers": [{"input_per_mtok": 2}]},
     "above_input_tokens"),
    ({"input_per_mtok": 1, "output_per_mtok": 1, "effective_from": "soon"}, "effective_from"),
])
def test_bad_toml_prices_name_the_key(make_config, bad, where):
    with pytest.raises(ConfigError, match=where):
        PriceBook.from_config(make_config({"pricing": {"models": {"m": bad}}}))


def test_a_price_change_applies_from_its_effective_date(make_config):
    cut = datetime(2026, 3, 1, tzinfo=UTC)
    cfg = make_config({"pricing": {"models": {"gpt-4o-mini": {
        "input_per_mtok": 0.3, "output_per_mtok": 1.2, "effective_from": date(2026, 3, 1)}}}})
    book = PriceBook.from_config(cfg)
    u = {"input_tokens": 1000, "output_tokens": 100}
    before = row({"id": "a", "ts": cut.timestamp() - 1, "model": "gpt-4o-mini", "usage": u},
                 "native", book)
    after = row({"id": "b", "ts": cut.timestamp(), "model": "gpt-4o-mini", "usage": u},
                "native", book)
    assert before["cost_pusd"] == usd(150 + 60) and before["cost_source"] == "builtin"
    assert after["cost_pusd"] == usd(300 + 120) and after["cost_source"] == "config"
    assert explain(after, book).source_text == "config (from 2026-03-01)"


def test_a_model_priced_only_from_a_later_date_is_unpriced_before_it(make_config):
    cfg = make_config({"pricing": {"models": {"new-model": {
        "input_per_mtok": 1, "output_per_mtok": 1, "effective_from": "2026-06-01T00:00:00Z"}}}})
    book = PriceBook.from_config(cfg)
    r = row({"id": "a", "ts": 1767225600, "model": "new-model",
             "usage": {"input_tokens": 5}}, "native", book)
    assert r["cost_pusd"] is None


@pytest.mark.parametrize("logged, entry", [
    ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
    ("anthropic/claude-sonnet-4-5", "claude-sonnet-4-5"),
    ("bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),
    ("claude-sonnet-4-5@20250929", "claude-sonnet-4-5"),
    ("openai/gpt-4.1", "gpt-4.1"),
    ("azure/gpt-4o-2024-08-06", "gpt-4o"),
    ("gpt-4o-2024-05-13", "gpt-4o-2024-05-13"),  # a snapshot with its own price wins
    ("gemini-2.5-pro-preview-06-05", "gemini-2.5-pro"),
    ("mistral/mistral-large-latest", "mistral-large"),
    ("deepseek/deepseek-chat", "deepseek-chat"),
    ("xai/grok-4.20-0309-reasoning", "grok-4.20-0309-reasoning"),
])
def test_prefixed_and_dated_names_resolve_and_the_row_names_the_entry(logged, entry):
    r = row({"id": "a", "ts": 1767225600, "model": logged,
             "usage": {"input_tokens": 10, "output_tokens": 1}}, "native")
    assert r["price_entry"] == entry and r["cost_pusd"] is not None


def test_the_builtin_table_covers_current_models_of_six_providers():
    table = json.loads(open(_prices_path()).read())
    providers = {e["provider"] for e in table["models"].values()}
    assert {"openai", "anthropic", "google", "mistral", "deepseek", "xai"} <= providers
    assert table["as_of"] == PriceBook.builtin().as_of
    for name, e in table["models"].items():
        assert e.get("ref"), f"{name}: every entry says where its rates came from"
        if e["provider"] == "anthropic":  # the 1-hour write is 2x input, 5-minute 1.25x
            assert e["cache_write_1h_per_mtok"] == 2 * e["input_per_mtok"], name


def _prices_path():
    from importlib.resources import files
    return str(files("evaltop.core.data").joinpath("prices.json"))
