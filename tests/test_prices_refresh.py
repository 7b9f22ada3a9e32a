"""`make prices` rebuilds the built-in table from a LiteLLM file by explicit rules.

tests/data/pricing/litellm-mini.json holds one hand-written entry per rule
(cache read, 5-minute and 1-hour writes, an above-200k tier, batch, flex,
priority, a reasoning rate, a dated snapshot with the same rates, a Bedrock
and an unprefixed duplicate, a $0 cache write, providers and modes outside the
table); the expected table below is written by hand from the rules in
core/ingest/pricing/refresh_rules.py, not produced by the code under test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from evaltop.core.ingest.pricing.refresh import build, render
from evaltop.core.ingest.pricing.refresh_rules import ADDED_TIERS
from evaltop.core.ingest.pricing.sources import price_from_mtok
from tests.test_prices_builtin import entry_faults

FIXTURE = Path(__file__).parent / "data" / "pricing" / "litellm-mini.json"
V = "litellm 9.9.9"
RETIRED = ("retired: not among LiteLLM 9.9.9's first-party entries; last price kept from"
           " the previous built-in table (as of 2026-01-02, ref: old list)")

PREVIOUS = {"as_of": "2026-01-02", "note": "read 2026-01-02", "models": {
    "o3": {"provider": "openai", "input_per_mtok": 10, "output_per_mtok": 40, "ref": "old list"},
    "claude-3-opus": {"provider": "anthropic", "input_per_mtok": 15, "output_per_mtok": 75,
                      "ref": "old list"},
    "o1-mini": {"provider": "openai", "input_per_mtok": 1.1, "cached_input_per_mtok": 0.55,
                "cache_write_per_mtok": 0, "output_per_mtok": 4.4, "ref": "old list"},
    "gemini-3-pro": {"provider": "google", "input_per_mtok": 2, "output_per_mtok": 12,
                     "tiers": [{"above_input_tokens": 200000, "input_per_mtok": 4,
                                "cached_input_per_mtok": 0.4, "cache_write_per_mtok": 0.25,
                                "output_per_mtok": 18}], "ref": "old list"},
    "mistral-nemo": {"provider": "mistral", "input_per_mtok": 0.15, "output_per_mtok": 0.15,
                     "ref": "retired: kept by an earlier refresh"},
    # the same rates as the file's mistral-large: lookup peels -2411 and reaches it
    "mistral-large-2411": {"provider": "mistral", "input_per_mtok": 0.5,
                           "output_per_mtok": 1.5, "ref": "old list"},
}}

EXPECTED = {
    "claude-3-opus": {"provider": "anthropic", "input_per_mtok": 15, "output_per_mtok": 75,
                      "ref": RETIRED},
    "claude-sonnet-4-5": {
        "provider": "anthropic", "input_per_mtok": 3, "cached_input_per_mtok": 0.3,
        "cache_write_per_mtok": 3.75, "cache_write_1h_per_mtok": 6, "output_per_mtok": 15,
        "batch_input_per_mtok": 1.5, "batch_output_per_mtok": 7.5,
        "tiers": [{"input_per_mtok": 6, "cached_input_per_mtok": 0.6,
                   "cache_write_per_mtok": 7.5, "cache_write_1h_per_mtok": 12,
                   "output_per_mtok": 22.5, "above_input_tokens": 200000}],
        "ref": f"{V}: claude-sonnet-4-5; {ADDED_TIERS['claude-sonnet-4-5'][1]}"},
    "deepseek-chat": {
        "provider": "deepseek", "input_per_mtok": 0.28, "cached_input_per_mtok": 0.028,
        "output_per_mtok": 0.42,
        "ref": f"{V}: deepseek/deepseek-chat; its cache_creation_input_token_cost of 0 left out"
               " (a prompt token DeepSeek does not read from cache is billed as input, never $0)"},
    "gemini-2.5-pro": {
        "provider": "google", "input_per_mtok": 1.25, "cached_input_per_mtok": 0.125,
        "output_per_mtok": 10, "batch_input_per_mtok": 0.625, "batch_output_per_mtok": 5,
        "tiers": [{"input_per_mtok": 2.5, "cached_input_per_mtok": 0.25,
                   "output_per_mtok": 15, "above_input_tokens": 200000}],
        "ref": f"{V}: gemini/gemini-2.5-pro"},
    "gemini-3-pro": {
        "provider": "google", "input_per_mtok": 2, "output_per_mtok": 12,
        "tiers": [{"input_per_mtok": 4, "cached_input_per_mtok": 0.4, "output_per_mtok": 18,
                   "above_input_tokens": 200000}],
        "ref": f"{RETIRED}; its cache write of $0.25 above 200000 prompt tokens left out"
               " (below its cache read: a storage price read as a token price)"},
    "gemini-pro-latest": {"provider": "google", "input_per_mtok": 2, "output_per_mtok": 12,
                          "ref": f"{V}: gemini/gemini-pro-latest"},
    "gpt-4": {"provider": "openai", "input_per_mtok": 30, "output_per_mtok": 60,
              "batch_input_per_mtok": 15, "batch_output_per_mtok": 30,
              "ref": f"{V}: gpt-4; batch rates from gpt-4-0613 (same model and rates)"
                     " in the same file"},
    "grok-4.5": {"provider": "xai", "input_per_mtok": 2, "output_per_mtok": 10,
                 "reasoning_per_mtok": 12, "ref": f"{V}: xai/grok-4.5"},
    "mistral-large": {"provider": "mistral", "input_per_mtok": 0.5, "output_per_mtok": 1.5,
                      "ref": f"{V}: mistral/mistral-large-latest"},
    "mistral-nemo": PREVIOUS["models"]["mistral-nemo"],
    "o1-mini": {"provider": "openai", "input_per_mtok": 1.1, "cached_input_per_mtok": 0.55,
                "output_per_mtok": 4.4,
                "ref": f"{RETIRED}; its cache write of $0 left out (OpenAI bills a prompt token"
                       " it does not read from cache at the input rate)"},
    "o3": {"provider": "openai", "input_per_mtok": 2, "cached_input_per_mtok": 0.5,
           "output_per_mtok": 8, "flex_input_per_mtok": 1, "flex_cached_input_per_mtok": 0.25,
           "flex_output_per_mtok": 4, "priority_input_per_mtok": 3.5,
           "priority_output_per_mtok": 14, "ref": f"{V}: o3"},
    "o3-2025-04-16": {"provider": "openai", "input_per_mtok": 10, "output_per_mtok": 40,
                      "ref": f"{V}: o3-2025-04-16"},
}


def _build():
    litellm = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return build(litellm, PREVIOUS, version="9.9.9", as_of="2026-01-03")


def test_every_rule_gives_the_hand_written_entry():
    table, warnings = _build()
    assert table["models"] == EXPECTED
    assert list(table["models"]) == sorted(EXPECTED)
    assert table["as_of"] == "2026-01-03" and "LiteLLM 9.9.9" in table["note"]
    # a rate no bucket prices is named for the maintainer; DeepSeek's second spelling
    # of its cache read (same value) is not
    assert warnings == ["o3: cost keys no rule prices: cache_creation_input_token_cost_above_12hr"]


def test_keys_are_written_in_bucket_order():
    table, _ = _build()
    assert list(table["models"]["o3"]) == [
        "provider", "input_per_mtok", "cached_input_per_mtok", "output_per_mtok",
        "flex_input_per_mtok", "flex_cached_input_per_mtok", "flex_output_per_mtok",
        "priority_input_per_mtok", "priority_output_per_mtok", "ref"]


def test_the_refreshed_table_passes_the_builtin_checks_and_parses():
    table, _ = _build()
    faults = [f for name, e in table["models"].items() for f in entry_faults(name, e)]
    assert faults == []
    for name, e in table["models"].items():
        price_from_mtok(name, e, source="builtin", where=name)


def _refresh(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "evaltop.core.ingest.pricing.refresh", *map(str, args)],
        capture_output=True, text=True, timeout=60)


def test_command_writes_the_table_and_a_rerun_changes_nothing(tmp_path):
    prev, out = tmp_path / "prev.json", tmp_path / "prices.json"
    prev.write_text(json.dumps(PREVIOUS), encoding="utf-8")
    run = _refresh(FIXTURE, "--version", "9.9.9", "--as-of", "2026-01-03",
                   "--previous", prev, "--out", out)
    assert run.returncode == 0, run.stderr
    assert out.read_text(encoding="utf-8") == render(_build()[0])
    assert "newly retired (3): claude-3-opus, gemini-3-pro, o1-mini" in run.stderr
    # the written table as the previous one: a fixed point (retired entries carried over)
    again = _refresh(FIXTURE, "--version", "9.9.9", "--as-of", "2026-01-03", "--out", out,
                     "--check")
    assert again.returncode == 0 and "up to date" in again.stdout, again.stderr
    # a hand edit of a rate the file gives is caught (a retired entry's would be kept)
    edited = out.read_text(encoding="utf-8").replace('"reasoning_per_mtok": 12,',
                                                     '"reasoning_per_mtok": 13,')
    assert edited != render(_build()[0])
    out.write_text(edited, encoding="utf-8")
    stale = _refresh(FIXTURE, "--version", "9.9.9", "--as-of", "2026-01-03", "--out", out,
                     "--check")
    assert stale.returncode == 1 and "differs" in stale.stdout


def test_bad_inputs_are_named(tmp_path):
    bad = tmp_path / "prices-src.json"
    bad.write_text("{not json", encoding="utf-8")
    run = _refresh(bad, "--version", "1", "--out", tmp_path / "out.json")
    assert run.returncode == 2 and f"{bad}: LiteLLM price file is not JSON" in run.stderr
    assert not (tmp_path / "out.json").exists()
    run = _refresh(FIXTURE, "--version", "1", "--as-of", "6/12/2026",
                   "--out", tmp_path / "out.json")
    assert run.returncode == 2 and "expected a date like 2026-12-06" in run.stderr
