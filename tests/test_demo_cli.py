"""`evaltop demo` arguments and the --keep path (in process, no screen)."""

from __future__ import annotations

import sqlite3

from click.testing import CliRunner

from evaltop.core.demo.session import DB_NAME, DemoOptions, DemoSession, build_config, default_home
from evaltop.tui.cli.main import cli


def test_seconds_without_headless_is_a_usage_error(tmp_path):
    res = CliRunner().invoke(cli, ["demo", "--seconds", "5", "--dir", str(tmp_path / "d")])
    assert res.exit_code == 2
    assert "--seconds only applies with --headless" in res.output
    assert not (tmp_path / "d").exists()  # nothing written


def test_dir_that_is_a_file_is_refused(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    res = CliRunner().invoke(cli, ["demo", "--headless", "--dir", str(f)])
    assert res.exit_code == 2
    assert "file" in res.output


def test_default_home_follows_evaltop_home(tmp_path, monkeypatch):
    monkeypatch.setenv("EVALTOP_HOME", str(tmp_path / "h"))
    assert default_home() == tmp_path / "h" / "demo"
    monkeypatch.delenv("EVALTOP_HOME")
    assert default_home().parts[-4:] == (".local", "share", "evaltop", "demo")


def test_embedded_config_is_valid_and_offline(tmp_path):
    cfg = build_config(tmp_path, judge_daily_usd=0.05, inference_daily_usd=0.1)
    assert cfg.db_path == tmp_path / DB_NAME
    assert [j.kind for j in cfg.judges].count("demo") == 1
    assert all(j.kind != "llm" for j in cfg.judges)  # no network, no API key
    assert cfg.budgets.judge_daily_usd == 0.05


def test_keep_continues_without_a_second_history(tmp_path):
    opts = DemoOptions(home=tmp_path, history_days=0.5, seed=3)
    first = DemoSession(opts, echo=lambda *_: None)
    first.prepare()
    assert first.history_records > 0
    conn = sqlite3.connect(tmp_path / DB_NAME)
    before = conn.execute("SELECT COUNT(*) FROM outputs").fetchone()[0]
    assert before > 0
    second = DemoSession(DemoOptions(home=tmp_path, history_days=0.5, seed=3, keep=True),
                         echo=lambda *_: None, clock=lambda: first.started_at + 10)
    second.prepare()
    assert second.history_records == 0
    assert conn.execute("SELECT COUNT(*) FROM outputs").fetchone()[0] == before
    conn.close()
    third = DemoSession(DemoOptions(home=tmp_path, history_days=0.5, seed=3),
                        echo=lambda *_: None)
    third.prepare()  # without --keep: a fresh database and log
    lines = (tmp_path / "logs" / "app.jsonl").read_text().splitlines()
    assert len(lines) == third.history_records
    conn = sqlite3.connect(tmp_path / DB_NAME)
    stored = conn.execute("SELECT COUNT(*), COUNT(DISTINCT id) FROM outputs").fetchone()
    assert stored[0] == stored[1] == sum('"type":"feedback"' not in x for x in lines)


def test_a_foreign_non_empty_folder_is_never_emptied(tmp_path):
    mine = tmp_path / "project"
    (mine / "logs").mkdir(parents=True)
    (mine / "logs" / "app.jsonl").write_text("my real logs\n")
    (mine / "logs" / "app.jsonl.1").write_text("yesterday\n")
    res = CliRunner().invoke(cli, ["demo", "--headless", "--seconds", "1", "--dir", str(mine)])
    assert res.exit_code == 2
    assert "not made by `evaltop demo`" in res.output
    assert (mine / "logs" / "app.jsonl").read_text() == "my real logs\n"
