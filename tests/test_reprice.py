"""`evaltop reprice`: stored costs follow a price change, rollups and the
inference budget's totals stay equal to the outputs, reported costs stay."""

from __future__ import annotations

import json
import sqlite3
import time

from click.testing import CliRunner
from ingest_helpers import write_lines

from evaltop.store.rollups.hourly import totals_match_outputs
from evaltop.tui.cli.main import cli

NOW = time.time()


def _cfg(tmp_path, prices: str = "") -> str:
    text = (f'[store]\npath = "{tmp_path / "evaltop.db"}"\n'
            '[[sources]]\nname = "app"\npath = "logs/*.jsonl"\nformat = "native"\n' + prices)
    (tmp_path / "evaltop.toml").write_text(text)
    (tmp_path / "logs").mkdir(exist_ok=True)
    return str(tmp_path / "evaltop.toml")


def _line(i: int, model: str, ts: float, **extra) -> dict:
    return {"id": f"o{i}", "ts": ts, "model": model, "task": "qa", "output": "a",
            "usage": {"input_tokens": 1_000_000, "output_tokens": 100_000}, **extra}


def _sums(path) -> tuple:
    conn = sqlite3.connect(path)
    try:
        assert totals_match_outputs(conn)
        daily = conn.execute("SELECT SUM(cost_pusd), SUM(unpriced_outputs) FROM rollup_daily")
        out = conn.execute("SELECT COALESCE(SUM(cost_pusd), 0), SUM(cost_pusd IS NULL) "
                           "FROM outputs")
        d, o = daily.fetchone(), out.fetchone()
        assert tuple(d) == tuple(o)  # the daily rollup (triggers) follows too
        return tuple(o)
    finally:
        conn.close()


def test_reprice_after_a_config_price_change(tmp_path):
    cfg = _cfg(tmp_path)
    write_lines(tmp_path / "logs" / "a.jsonl", [
        _line(1, "gpt-4o-mini", NOW - 3600),  # $0.15 + $0.06 = $0.21
        _line(2, "gpt-4o-mini-2024-07-18", NOW - 2 * 86400),
        _line(3, "my-new-model", NOW - 3600),  # unpriced until configured
        _line(4, "gpt-4o-mini", NOW - 3600, cost_usd=1.5),  # reported: kept
        _line(5, "gpt-4o-mini", NOW - 60 * 86400),  # outside --since 30d
        _line(6, "gpt-4.1", NOW - 3600),  # $2 + $0.80 = $2.80, not changed
    ])
    assert CliRunner().invoke(cli, ["ingest", "--once", "--config", cfg]).exit_code == 0
    db = tmp_path / "evaltop.db"
    assert _sums(db) == (3 * 210_000_000_000 + 1_500_000_000_000 + 2_800_000_000_000, 1)
    _cfg(tmp_path, '[pricing.models."gpt-4o-mini"]\ninput_per_mtok = 0.30\n'
                   'output_per_mtok = 1.20\n'
                   '[pricing.models."my-new-model"]\ninput_per_mtok = 1\noutput_per_mtok = 1\n')
    dry = CliRunner().invoke(cli, ["reprice", "--config", cfg, "--dry-run", "--format", "json"])
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.output)["changed"] == 3
    assert _sums(db)[1] == 1  # nothing written
    res = CliRunner().invoke(cli, ["reprice", "--config", cfg])
    assert res.exit_code == 0, res.output
    assert "changed 3" in res.output
    # within 30 days: 2 x $0.21 + $1.50 + $2.80 + unpriced -> 2 x $0.42 + $1.10 + $1.50 + $2.80
    assert "before: $4.72 (1 unpriced)" in res.output
    assert "after:  $6.24 (0 unpriced)" in res.output
    assert _sums(db) == (2 * 420_000_000_000 + 210_000_000_000 + 1_100_000_000_000
                         + 1_500_000_000_000 + 2_800_000_000_000, 0)
    conn = sqlite3.connect(db)
    entry, source = conn.execute(
        "SELECT price_entry, cost_source FROM outputs WHERE id = 'o2'").fetchone()
    assert (entry, source) == ("gpt-4o-mini", "config")
    conn.close()
    again = CliRunner().invoke(cli, ["reprice", "--config", cfg])
    assert "changed 0" in again.output


def test_reprice_one_model_and_bad_since(tmp_path):
    cfg = _cfg(tmp_path)
    write_lines(tmp_path / "logs" / "a.jsonl", [
        _line(1, "gpt-4o-mini", NOW - 3600), _line(2, "gpt-4.1", NOW - 3600)])
    CliRunner().invoke(cli, ["ingest", "--once", "--config", cfg])
    _cfg(tmp_path, '[pricing.models."gpt-4o-mini"]\ninput_per_mtok = 1\noutput_per_mtok = 1\n'
                   '[pricing.models."gpt-4.1"]\ninput_per_mtok = 1\noutput_per_mtok = 1\n')
    res = CliRunner().invoke(cli, ["reprice", "--config", cfg, "--model", "openai/gpt-4.1",
                                   "--format", "json"])
    out = json.loads(res.output)
    assert out["outputs"] == 1 and list(out["by_model"]) == ["gpt-4.1"]
    bad = CliRunner().invoke(cli, ["reprice", "--config", cfg, "--since", "lately"])
    assert bad.exit_code == 2 and "--since" in bad.output


def test_report_names_the_entry_and_every_fallback_rule(tmp_path):
    cfg = _cfg(tmp_path)
    write_lines(tmp_path / "logs" / "a.jsonl", [
        _line(1, "claude-sonnet-4-5-20250929", NOW - 3600,
              usage={"input_tokens": 100, "cache_write_tokens": 50, "output_tokens": 5}),
        _line(2, "deepseek-chat", NOW - 3600, batch=True),
        _line(3, "o3-mini", NOW - 3600, service_tier="priority"),
    ])
    assert CliRunner().invoke(cli, ["ingest", "--once", "--config", cfg]).exit_code == 0
    res = CliRunner().invoke(cli, ["report", "--config", cfg, "--since", "7d",
                                   "--format", "json"])
    p = json.loads(res.output)["pricing"]
    assert p["price_fallback_outputs"] == 3 and p["builtin_as_of"]
    rules = {f["rule"]: (f["outputs"], f["unpriced"]) for f in p["fallbacks"]}
    assert rules["cache-write TTL not reported: priced at the 5-minute rate"] == (1, 0)
    assert rules["no batch rates: priced at standard rates (an upper bound)"] == (1, 0)
    assert [u for r, (_, u) in rules.items() if "priority" in r] == [1]
    assert {"model": "claude-sonnet-4-5-20250929", "entry": "claude-sonnet-4-5",
            "source": "builtin", "outputs": 1} in p["entries"]
    text = CliRunner().invoke(cli, ["report", "--config", cfg, "--since", "7d"]).output
    assert "claude-sonnet-4-5-20250929 priced by entry claude-sonnet-4-5" in text
    assert "3 outputs priced with a fallback rule" in text


def test_an_output_that_becomes_unpriced_is_shown_unpriced_never_zero(tmp_path):
    cfg = _cfg(tmp_path)
    write_lines(tmp_path / "logs" / "a.jsonl", [
        _line(1, "o3", NOW - 3600, service_tier="priority"),  # $3.50 + 0.1 x $14 = $4.90
        _line(2, "my-model", NOW - 3600),  # unpriced before and after
    ])
    assert CliRunner().invoke(cli, ["ingest", "--once", "--config", cfg]).exit_code == 0
    # a config entry without priority rates: a priority call has no safe price
    _cfg(tmp_path, '[pricing.models."o3"]\ninput_per_mtok = 4\noutput_per_mtok = 16\n')
    res = CliRunner().invoke(cli, ["reprice", "--config", cfg, "--dry-run"])
    assert res.exit_code == 0, res.output
    assert "  o3: $4.90 -> unpriced" in res.output
    assert "-> $0.00" not in res.output and "my-model" not in res.output  # unchanged
    out = json.loads(CliRunner().invoke(
        cli, ["reprice", "--config", cfg, "--dry-run", "--format", "json"]).output)
    assert out["by_model"]["o3"] == {"before_pusd": 4_900_000_000_000, "after_pusd": 0,
                                     "unpriced_before": 0, "unpriced_after": 1}
    assert out["by_model"]["my-model"]["unpriced_before"] == 1
