"""Shadow mode against the loopback candidate: deterministic sample, each live
output shadowed once, both sides judged, the live paired comparison."""

from __future__ import annotations

import json
import sqlite3

from click.testing import CliRunner
from loopback_server import LoopbackLLM
from replay_helpers import NOW, ScriptedCandidate, add_output, add_score, write_config

from evaltop.core.model.config import load
from evaltop.core.rollout.shadow import run_ids, sampled, shadow_step, shadow_summary
from evaltop.store.db import connect
from evaltop.tui.cli.main import cli


def shadow_config(tmp_path, base, rate=0.5, enabled=True):
    path, _ = write_config(tmp_path, base)
    path.write_text(
        path.read_text() + f'\n[shadow]\nenabled = {str(enabled).lower()}\ncandidate = "cand"\n'
        f"rate = {rate}\n"
    )
    return load(path)


def seed(conn, start, n):
    for i in range(start, start + n):
        text = f"Extract the contact from CASE-{i}." + (" BREAK" if i % 4 == 0 else "")
        add_output(
            conn,
            f"out{i}",
            input=text,
            task="extract",
            output=json.dumps({"name": f"CASE-{i}"}),
            ts=NOW - 60,
        )


def case_ids(db, run_id):
    c = sqlite3.connect(db)
    try:
        return {
            r[0]
            for r in c.execute(
                "SELECT case_id FROM run_cases WHERE run_id = ? AND status = 'ok'", (run_id,)
            )
        }
    finally:
        c.close()


def test_shadow_samples_deterministically_and_judges_both_sides(tmp_path):
    script = ScriptedCandidate()
    with LoopbackLLM(responder=script) as llm:
        cfg = shadow_config(tmp_path, llm.base_url)
        conn = connect(cfg.db_path)
        seed(conn, 0, 40)
        expect = {f"out{i}" for i in range(40) if sampled(cfg.sampling.seed, f"out{i}", 0.5)}
        assert 5 < len(expect) < 35
        out = shadow_step(cfg, cfg.db_path, limit=100, now=NOW)
        cand, live = run_ids("cand")
        assert out["sampled"] == out["called"] == out["ok"] == len(expect)
        assert case_ids(cfg.db_path, cand) == case_ids(cfg.db_path, live) == expect
        assert script.total() == len(expect)

        again = shadow_step(cfg, cfg.db_path, limit=100, now=NOW)
        assert again["sampled"] == again["called"] == 0 and script.total() == len(expect)

        summary = shadow_summary(conn, cfg)
        broken = {o for o in expect if int(o[3:]) % 4 == 0}
        assert summary["candidate"] == "cand" and summary["cases"]["paired"] == len(expect)
        assert summary["judges"]["fields"]["pass_to_fail"] == len(broken)
        assert summary["judges"]["helpful"]["pass_to_fail"] == len(broken)
        assert script.judge_calls == 2 * len(expect)  # live and candidate outputs both judged
        conn.close()
    r = CliRunner().invoke(cli, ["compare", "shadow-live:cand", "shadow:cand", "--format", "json",
                                 "--fail-on", "regression", "--db", str(cfg.db_path), "--config",
                                 str(tmp_path / "evaltop.toml")])
    assert r.exit_code == (1 if summary["regression"] else 0), r.output
    assert json.loads(r.stdout)["judges"] == summary["judges"]


def test_limit_and_mark_continue_where_the_last_step_stopped(tmp_path):
    script = ScriptedCandidate()
    with LoopbackLLM(responder=script) as llm:
        cfg = shadow_config(tmp_path, llm.base_url, rate=1.0)
        conn = connect(cfg.db_path)
        seed(conn, 0, 5)
        assert shadow_step(cfg, cfg.db_path, limit=3, now=NOW, judge=False)["sampled"] == 3
        assert shadow_step(cfg, cfg.db_path, limit=3, now=NOW, judge=False)["sampled"] == 2
        seed(conn, 5, 2)
        assert shadow_step(cfg, cfg.db_path, limit=3, now=NOW, judge=False)["sampled"] == 2
        assert case_ids(cfg.db_path, "shadow:cand") == {f"out{i}" for i in range(7)}
        assert script.calls == {i: 1 for i in range(7)}
        conn.close()


def test_old_and_errored_outputs_are_not_shadowed_and_off_means_off(tmp_path):
    script = ScriptedCandidate()
    with LoopbackLLM(responder=script) as llm:
        cfg = shadow_config(tmp_path, llm.base_url, rate=1.0)
        conn = connect(cfg.db_path)
        add_output(conn, "old", input="CASE-1", ts=NOW - 3 * 86400)
        add_output(conn, "err", input="CASE-2", ts=NOW - 10, error="HTTP 500")
        add_output(conn, "new", input="CASE-3", ts=NOW - 10)
        assert shadow_step(cfg, cfg.db_path, now=NOW, judge=False)["sampled"] == 1
        assert case_ids(cfg.db_path, "shadow:cand") == {"new"}
        off = shadow_config(tmp_path, llm.base_url, enabled=False)
        assert "skipped" in shadow_step(off, off.db_path, now=NOW)
        conn.close()


def test_live_verdicts_already_paid_for_are_reused(tmp_path):
    script = ScriptedCandidate()
    with LoopbackLLM(responder=script) as llm:
        cfg = shadow_config(tmp_path, llm.base_url, rate=1.0)
        conn = connect(cfg.db_path)
        seed(conn, 1, 3)
        add_score(conn, "out1", "helpful", True, score=5.0, kind="llm")  # live judging already paid
        out = shadow_step(cfg, cfg.db_path, now=NOW)
        assert out["live_verdicts_reused"] == 1
        assert script.judge_calls == 3 + 2  # candidate side 3, live side only the 2 not yet judged
        c = sqlite3.connect(cfg.db_path)
        score = c.execute(
            "SELECT score FROM run_scores WHERE run_id = 'shadow-live:cand' AND case_id = 'out1'"
            " AND judge = 'helpful'"
        ).fetchone()
        c.close()
        assert score == (5.0,)
        conn.close()


def test_report_carries_the_live_shadow_comparison(tmp_path):
    from evaltop.core.model.window import Window
    from evaltop.core.views.report import build as report

    script = ScriptedCandidate()
    with LoopbackLLM(responder=script) as llm:
        cfg = shadow_config(tmp_path, llm.base_url, rate=1.0)
        conn = connect(cfg.db_path)
        seed(conn, 0, 24)
        shadow_step(cfg, cfg.db_path, limit=100, now=NOW)
        ctx = report.ReportContext(cfg=cfg, conn=conn, window=Window(None, NOW + 1), now=NOW)
        built = report.build(ctx)
        conn.close()
    sh = built["shadow"]
    assert sh["candidate"] == "cand" and sh["cases"]["paired"] == 24
    assert sh["judges"]["fields"]["pass_to_fail"] == 6  # CASE-0, 4, 8, ... break
    assert "## Shadow mode" in report.markdown(built)
    reasons = report.failures(built, {"regression"})
    assert any("shadow candidate cand" in r for r in reasons) == bool(sh["regression"])
