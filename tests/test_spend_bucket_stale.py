"""`evaltop spend --by bucket` splits spend with today's prices; when the
stored costs were made with other prices (no `evaltop reprice` since), it says
so with both totals, instead of showing a split that silently disagrees with
`evaltop spend`."""

from __future__ import annotations

import json
import time

from click.testing import CliRunner
from ingest_helpers import write_lines

from evaltop.tui.cli.main import cli

NOW = time.time()
PRICE = '[pricing.models."m-test"]\ninput_per_mtok = {i}\noutput_per_mtok = {o}\n'


def _cfg(tmp_path, prices: str) -> str:
    (tmp_path / "evaltop.toml").write_text(
        f'[store]\npath = "{tmp_path / "evaltop.db"}"\n'
        '[[sources]]\nname = "app"\npath = "logs/*.jsonl"\nformat = "native"\n' + prices)
    (tmp_path / "logs").mkdir(exist_ok=True)
    return str(tmp_path / "evaltop.toml")


def test_bucket_split_says_when_stored_costs_used_other_prices(tmp_path):
    cfg = _cfg(tmp_path, PRICE.format(i=1, o=2))
    write_lines(tmp_path / "logs" / "a.jsonl", [
        {"id": f"o{i}", "ts": NOW - 60, "model": "m-test", "output": "a",
         "usage": {"input_tokens": 1_000_000, "output_tokens": 500_000}} for i in range(2)])
    assert CliRunner().invoke(cli, ["ingest", "--once", "--config", cfg]).exit_code == 0
    run = ["spend", "--by", "bucket", "--since", "all", "--config", cfg]
    same = CliRunner().invoke(cli, run)
    assert same.exit_code == 0 and "evaltop reprice" not in same.output
    doc = json.loads(CliRunner().invoke(cli, [*run, "--json"]).output)["inference"]
    assert doc["stored_usd"] == 4.0 and doc["repriced_outputs"] == 0  # 2 x ($1 + $1)
    _cfg(tmp_path, PRICE.format(i=3, o=2))  # the price changed; no reprice yet
    text = CliRunner().invoke(cli, run).output
    # split at today's prices: 2 x ($3 + $1) = $8; stored 2 x $2 = $4
    assert "total (itemised)                      $8.00" in text
    assert ("2 outputs stored at other prices: stored $4.00, today's prices $8.00 "
            "(evaltop reprice rewrites them)") in text
    doc = json.loads(CliRunner().invoke(cli, [*run, "--json"]).output)["inference"]
    assert doc["stored_usd"] == 4.0 and doc["repriced_outputs"] == 2
