"""The report's base section on a known dataset (totals computed by hand),
exact window edges, and `evaltop report` exit codes."""

from __future__ import annotations

import json
import random
import time

import pytest
from click.testing import CliRunner
from ingest_helpers import BASE_TS, write_lines

from evaltop.core.ingest.pipeline import ingest_once
from evaltop.core.model.window import Window
from evaltop.core.views.report import base as ingest_report
from evaltop.core.views.report import build as report_mod
from evaltop.store.rollups import hourly as rollups
from evaltop.tui.cli.main import cli

H = 3600
PRICES = {"m-a": {"input_per_mtok": 1.0, "output_per_mtok": 2.0, "cached_input_per_mtok": 0.5}}


def _rec(id_, dt, model="m-a", usage=(1000, 500), cached=0, reasoning=0, **extra):
    rec = {"id": id_, "ts": BASE_TS + dt, "model": model, "task": "qa", "output": "fine"}
    if usage is not None:
        rec["usage"] = {"input_tokens": usage[0], "output_tokens": usage[1],
                        "cached_input_tokens": cached, "reasoning_tokens": reasoning}
    rec.update(extra)
    return rec


DATASET = [
    _rec("a1", 1799),  # before the window
    _rec("a2", 1800),  # on the window's start: in
    _rec("a3", 3600, cached=200, reasoning=100),
    _rec("e1", 5000, usage=None, output=""),  # no usage: estimated (0 tokens)
    _rec("b1", 7205, model="zz-unknown", usage=(300, 100)),  # unpriced
    _rec("a4", 3 * H + 899),  # last second in the window
    _rec("a5", 3 * H + 900),  # on the window's end: out
    {
        "type": "feedback",
        "id": "f1",
        "output_id": "a2",
        "ts": BASE_TS + 1900,
        "name": "thumbs",
        "value": 1,
    },
    {
        "type": "feedback",
        "id": "f2",
        "output_id": "a1",
        "ts": BASE_TS + 100,
        "name": "thumbs",
        "value": 0,
    },
    b"this is not json\n",
    _rec("a2", 1800),  # duplicate
]
WINDOW = Window(BASE_TS + 1800, BASE_TS + 3 * H + 900)


@pytest.fixture
def loaded(tmp_path, make_config, conn):
    write_lines(tmp_path / "app.jsonl", DATASET)
    cfg = make_config({"sources": [{"name": "app", "path": "app.jsonl", "format": "native"}],
                       "pricing": {"models": PRICES}})
    ingest_once(cfg, conn)
    conn.execute("INSERT INTO judge_calls (judge, model, output_id, status, cost_pusd, ts) "
                 "VALUES ('j', 'x', 'a2', 'ok', 5000000, ?), ('j', 'x', 'a1', 'ok', 7, ?)",
                 (BASE_TS + 2000, BASE_TS + 10))
    return cfg


def test_section_on_known_dataset(loaded, conn):
    ctx = report_mod.ReportContext(cfg=loaded, conn=conn, window=WINDOW)
    sec = ingest_report.report_section(ctx)
    assert sec["outputs"] == 5
    assert sec["feedback"] == 1
    # both were ingested today, not in 2026-01
    assert sec["rejected"] == 0 and sec["duplicates"] == 0
    assert sec["tokens"] == {"input": 3300, "output": 1600, "cached_input": 200, "cache_write": 0,
                             "reasoning": 100, "estimated_outputs": 1}
    # a2, a4: 1000*$1 + 500*$2 per M = $0.002; a3: 800*$1 + 200*$0.5 + 500*$2 = $0.0019; e1: $0
    assert sec["spend"] == {"inference_usd": 0.0059, "judge_usd": 0.000005, "unpriced_outputs": 1}
    assert sec["by_model"] == [
        {"model": "m-a", "outputs": 4, "input_tokens": 3000, "output_tokens": 1500,
         "inference_usd": 0.0059, "unpriced_outputs": 0},
        {"model": "zz-unknown", "outputs": 1, "input_tokens": 300, "output_tokens": 100,
         "inference_usd": None, "unpriced_outputs": 1},
    ]


def test_all_window_counts_rejects_and_duplicates(loaded, conn):
    ctx = report_mod.ReportContext(cfg=loaded, conn=conn, window=Window(None, time.time() + 60))
    sec = ingest_report.report_section(ctx)
    assert (sec["outputs"], sec["feedback"], sec["rejected"], sec["duplicates"]) == (7, 2, 1, 1)
    bounded = Window(time.time() - 3600, time.time() + 60)  # ingested in the last hour
    sec = ingest_report.report_section(
        report_mod.ReportContext(cfg=loaded, conn=conn, window=bounded)
    )
    assert (sec["outputs"], sec["rejected"], sec["duplicates"]) == (0, 1, 1)


def test_window_totals_equal_a_scan_for_any_window(tmp_path, make_config, conn):
    rng = random.Random(7)
    recs = [_rec(f"r{i}", rng.uniform(-2 * H, 12 * H), model=rng.choice(["m-a", "zz"]),
                 usage=(rng.randint(1, 999), rng.randint(1, 99))) for i in range(300)]
    write_lines(tmp_path / "app.jsonl", recs)
    cfg = make_config({"sources": [{"name": "app", "path": "app.jsonl", "format": "native"}],
                       "pricing": {"models": PRICES}})
    ingest_once(cfg, conn)
    assert rollups.totals_match_outputs(conn)
    edges = [BASE_TS + rng.uniform(-3 * H, 13 * H) for _ in range(60)] + [BASE_TS, BASE_TS + 5 * H]
    for _ in range(80):
        a, b = sorted(rng.sample(edges, 2))
        since = None if rng.random() < 0.15 else a
        got = {t.key: (t.outputs, t.input_tokens, t.output_tokens, t.cost_pusd, t.unpriced_outputs)
               for t in rollups.window_totals(conn, since, b, by="model")}
        want = {
            r[0]: tuple(r[1:])
            for r in conn.execute(
                "SELECT model, COUNT(*), SUM(input_tokens), SUM(output_tokens), "
                "COALESCE(SUM(cost_pusd), 0), SUM(cost_pusd IS NULL) FROM outputs "
                "WHERE ts >= ? AND ts < ? GROUP BY model",
                (float("-inf") if since is None else since, b),
            )
        }
        assert got == want, (since, b)


def _write_cfg(tmp_path, extra: str = "") -> str:
    cfg = tmp_path / "evaltop.toml"
    cfg.write_text(f'[store]\npath = "{tmp_path / "evaltop.db"}"\n[[sources]]\nname = "app"\n'
                   f'path = "app.jsonl"\nformat = "native"\n{extra}')
    return str(cfg)


def test_cli_report_json_and_markdown(loaded, tmp_path):
    cfg = _write_cfg(
        tmp_path, '[pricing.models."m-a"]\ninput_per_mtok = 1.0\noutput_per_mtok = 2.0\n'
    )
    res = CliRunner().invoke(cli, ["report", "--format", "json", "--config", cfg])
    assert res.exit_code == 0, res.output
    rep = json.loads(res.output)
    for key in (
        "window",
        "outputs",
        "feedback",
        "rejected",
        "duplicates",
        "tokens",
        "spend",
        "by_model",
    ):
        assert key in rep
    assert rep["window"]["since"] is None and rep["outputs"] == 7
    assert set(rep["spend"]) >= {"inference_usd", "judge_usd", "unpriced_outputs"}
    md = CliRunner().invoke(cli, ["report", "--format", "markdown", "--config", cfg])
    assert md.exit_code == 0
    assert "| zz-unknown | 1 | 300 | 100 | unpriced |" in md.output


@pytest.mark.parametrize("args, needle", [
    (["--since", "yesterday"], "--since"),
    (["--since", "all", "--baseline", "7d"], "--baseline"),
    (["--fail-on", "vibes"], "--fail-on"),
])
def test_cli_report_bad_options_exit_2(loaded, tmp_path, args, needle):
    res = CliRunner().invoke(cli, ["report", *args, "--config", _write_cfg(tmp_path)])
    assert res.exit_code == 2
    assert needle in res.output and len(res.output.strip().splitlines()) == 1


def test_cli_report_without_database_exit_2(tmp_path):
    cfg = _write_cfg(tmp_path)
    res = CliRunner().invoke(cli, ["report", "--config", cfg])
    assert res.exit_code == 2 and "no database" in res.output


def test_cli_fail_on_budget(tmp_path, make_config, conn):
    now = time.time()
    write_lines(tmp_path / "app.jsonl", [_rec(f"n{i}", 0, ts=now - 60 - i) for i in range(3)])
    budget = "[budgets]\ninference_daily_usd = 0.001\n"
    cfg = _write_cfg(
        tmp_path, budget + '[pricing.models."m-a"]\ninput_per_mtok = 1.0\noutput_per_mtok = 2.0\n'
    )
    ok = CliRunner().invoke(cli, ["ingest", "--once", "--config", cfg])
    assert ok.exit_code == 0, ok.output
    res = CliRunner().invoke(
        cli, ["report", "--since", "24h", "--fail-on", "budget", "--config", cfg]
    )
    assert res.exit_code == 1, res.output
    assert "budget" in res.stderr
    calm = _write_cfg(tmp_path, "[budgets]\ninference_daily_usd = 100.0\n")
    res = CliRunner().invoke(
        cli, ["report", "--since", "24h", "--fail-on", "budget", "--config", calm]
    )
    assert res.exit_code == 0, res.output
