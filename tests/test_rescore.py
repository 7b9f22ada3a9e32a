"""`evaltop score --rescore`: real processes, a real SQLite file, a loopback
judge. Sampling is re-decided with the same u (weights stay valid), verdicts
are redone only for the judges named, the old verdict is kept as history,
spend is never counted twice, and the budget bounds it like any judging."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from judge_helpers import llm_judge, rows
from loopback_server import LoopbackLLM
from score_helpers import add_outputs, evaltop_score, pending, write_config

from evaltop.core.model import config as config_mod
from evaltop.core.model.money import usd_to_pusd
from evaltop.core.scoring.judges.runner import score_pending
from evaltop.core.scoring.rescore import rescore
from evaltop.core.scoring.sampling import decision_u, sample_new
from evaltop.core.views import cases as cases_view
from evaltop.tui.cli.main import cli
from evaltop.tui.widgets.case_text import render_detail

NO_NEW_VERSION = "[sampling.strata.new_version]\nrate = 0.0\n"


def _cfg(tmp_path: Path, url: str, base_rate: float, extra: str = "", **judge) -> Path:
    return write_config(tmp_path, [llm_judge(url, **judge)],
                        f"[sampling]\nbase_rate = {base_rate}\n{NO_NEW_VERSION}{extra}")


def _count(conn, sql: str, *args) -> int:
    return conn.execute(sql, args).fetchone()[0]


def test_raised_base_rate_samples_more_and_every_weight_stays_valid(tmp_path, conn, db_path):
    ids = add_outputs(conn, 250)
    old = add_outputs(conn, 100, ts=time.time() - 30 * 86400, prefix="old")  # outside --since 7d
    with LoopbackLLM(usage=(50, 10)) as llm:
        cfg = _cfg(tmp_path, llm.openai_base_url, 0.2)
        assert evaltop_score(cfg, "--once").returncode == 0
        seed = config_mod.load(cfg).sampling.seed
        u = {i: decision_u(seed, i) for i in ids}
        old_first = {i for i in old if decision_u(seed, i) < 0.2}
        first = {i for i in ids if u[i] < 0.2}
        assert {r["output_id"] for r in rows(conn, "SELECT output_id FROM scores")} == (
            first | old_first)
        calls = llm.count()
        assert calls == len(first | old_first)

        cfg = _cfg(tmp_path, llm.openai_base_url, 0.5)
        plain = evaltop_score(cfg, "--once")  # what users tried: nothing new to sample
        assert "sampled 0 of 0 new outputs" in plain.stdout and llm.count() == calls

        # logged since: not decided for sampling yet; the dry run counts them too
        fresh = add_outputs(conn, 40, prefix="fresh")
        u.update({i: decision_u(seed, i) for i in fresh})
        mark = _count(conn, "SELECT value FROM counters WHERE name = 'sampling.rowid'")
        dry = evaltop_score(cfg, "--rescore", "--since", "7d", "--dry-run")
        assert dry.returncode == 0, dry.stderr
        more = {i for i in ids + fresh if 0.2 <= u[i] < 0.5 or (i in fresh and u[i] < 0.5)}
        assert "dry run: nothing changed" in dry.stdout
        assert f"sampling: {len(more)} newly sampled, {len(first)} with a raised" in dry.stdout
        assert f"{len(more)} without a verdict yet; {len(first)} verdicts kept" in dry.stdout
        assert _count(conn, "SELECT COUNT(*) FROM samples") == len(first | old_first)  # unchanged
        assert _count(conn, "SELECT value FROM counters WHERE name = 'sampling.rowid'") == mark
        assert llm.count() == calls

        done = evaltop_score(cfg, "--rescore", "--since", "7d")
        assert done.returncode == 0, done.stderr
        assert llm.count() == calls + len(more)  # existing verdicts not paid again
    assert f"judged {len(more)} outputs" in done.stdout and "nothing left pending" in done.stdout
    # the design that operated is "sampled iff u < max(0.2, 0.5)": every sample of
    # the window now weighs 1/0.5, the early ones included
    got = {r["output_id"]: r["probability"] for r in rows(conn, "SELECT * FROM samples")}
    assert set(got) == first | more | old_first
    assert {got[i] for i in first | more} == {0.5}
    assert {got[i] for i in old_first} == {0.2}  # outside the window: untouched
    assert _count(conn, "SELECT COUNT(*) FROM scores") == len(first | more | old_first)
    # the rollups the dashboard reads follow the raised weights (trigger-kept)
    w = _count(conn, "SELECT SUM(p_sum_w) FROM score_rollup_hourly")
    assert abs(w - len(first | more) / 0.5 - len(old_first) / 0.2) < 1e-6

    # lowering the rate again samples nothing and lowers no weight
    cfg = write_config(tmp_path, [llm_judge("http://127.0.0.1:9/v1")],
                       f"[sampling]\nbase_rate = 0.1\n{NO_NEW_VERSION}")
    low = evaltop_score(cfg, "--rescore", "--since", "7d")
    assert low.returncode == 0, low.stderr
    assert "sampling: 0 newly sampled, 0 with a raised" in low.stdout
    assert {r["probability"] for r in rows(conn, "SELECT probability FROM samples")} == {0.5, 0.2}


def test_changed_rubric_redoes_one_judge_keeps_history_and_counts_spend_once(
        tmp_path, conn, db_path):
    add_outputs(conn, 60)
    with LoopbackLLM(usage=(50, 10), score=5) as llm:
        cfg = _cfg(tmp_path, llm.openai_base_url, 1.0, concurrency=8)
        assert evaltop_score(cfg, "--once").returncode == 0
        spend_before = _count(conn, "SELECT SUM(cost_pusd) FROM judge_calls")
        llm.set_mode("good", score=1, usage=(50, 10))  # the new rubric fails every answer
        cfg = _cfg(tmp_path, llm.openai_base_url, 1.0, concurrency=8,
                   rubric="Grade strictly.")
        done = evaltop_score(cfg, "--rescore", "--since", "24h", "--judge", "quality")
        assert done.returncode == 0, done.stderr
        assert llm.count() == 120  # 60 first verdicts, 60 redone
    assert "60 verdicts to redo" in done.stdout and "judged 60 outputs" in done.stdout
    # aggregates read the new verdict, once per output; the old one is history
    assert rows(conn, "SELECT passed, COUNT(*) AS n FROM scores GROUP BY passed") == [
        {"passed": 0, "n": 60}]
    assert rows(conn, "SELECT passed, COUNT(*) AS n FROM score_history GROUP BY passed") == [
        {"passed": 1, "n": 60}]
    assert _count(conn, "SELECT SUM(judged) FROM score_rollup_hourly") == 60
    assert _count(conn, "SELECT SUM(p_sum_y) FROM score_rollup_hourly") == 0
    assert _count(conn, "SELECT COUNT(*) FROM rescore_queue") == 0
    # both calls were paid for, each counted once: 120 calls, the ledger agrees
    calls = _count(conn, "SELECT COUNT(*) FROM judge_calls")
    spend = _count(conn, "SELECT SUM(cost_pusd) FROM judge_calls")
    assert calls == 120 and spend == 2 * spend_before
    assert _count(conn, "SELECT SUM(amount_pusd) FROM ledger WHERE state = 'settled'") == spend
    report = subprocess.run(
        [sys.executable, "-m", "evaltop.tui.cli.main", "report", "--config", str(cfg),
         "--since", "24h", "--format", "json"], capture_output=True, text=True, timeout=120)
    assert report.returncode == 0, report.stderr
    data = json.loads(report.stdout)
    assert data["spend"]["judge_usd"] == pytest.approx(spend / 1e12)
    assert data["scores"]["quality"]["judged"] == 60 and data["scores"]["quality"]["passed"] == 0
    # the case shows the replaced verdict as history, in `review` and the detail screen
    review = subprocess.run(
        [sys.executable, "-m", "evaltop.tui.cli.main", "review", "--config", str(cfg),
         "--limit", "1"], input="q\n", capture_output=True, text=True, timeout=120)
    assert review.returncode == 0, review.stderr
    assert "quality: fail" in review.stdout and ": quality: pass" in review.stdout
    assert "  replaced " in review.stdout
    shown = "\n".join(t.plain for _, t in render_detail(cases_view.detail(conn, "r0")))
    assert "FAIL 1  quality" in shown and "replaced " in shown and "PASS 5  quality" in shown


def test_rescore_stops_at_the_budget_and_the_next_run_finishes_it(tmp_path, conn, db_path):
    add_outputs(conn, 150)
    with LoopbackLLM(usage=(100, 20), score=5) as llm:
        cfg = _cfg(tmp_path, llm.openai_base_url, 1.0, concurrency=8)
        assert evaltop_score(cfg, "--once").returncode == 0
        spent = _count(conn, "SELECT SUM(amount_pusd) FROM ledger WHERE state = 'settled'")
        cap = round((spent * 1.5) / 1e12, 6)  # room for about half the redo
        llm.set_mode("good", score=1, usage=(100, 20))
        cfg = _cfg(tmp_path, llm.openai_base_url, 1.0, f"[budgets]\njudge_daily_usd = {cap}\n",
                   concurrency=8, rubric="Grade strictly.")
        done = evaltop_score(cfg, "--rescore", "--since", "24h", "--judge", "quality")
        assert done.returncode == 0, done.stderr
        redone = llm.count() - 150
        assert 0 < redone < 150
        left = pending(db_path)
        assert left == 150 - redone
        assert f"left pending: {left:,} outputs: judge budget paused" in done.stdout
        settled = _count(conn, "SELECT SUM(amount_pusd) FROM ledger "
                               "WHERE state IN ('settled', 'reserved')")
        assert settled <= usd_to_pusd(cap)  # never past the cap
        # what is not redone yet keeps its old verdict in every aggregate
        assert _count(conn, "SELECT COUNT(*) FROM scores") == 150
        assert _count(conn, "SELECT COUNT(*) FROM scores WHERE passed = 1") == left
        assert _count(conn, "SELECT COUNT(*) FROM rescore_queue") == left
        # a bigger budget: a plain `score --once` finishes the queued work
        cfg = _cfg(tmp_path, llm.openai_base_url, 1.0, "[budgets]\njudge_daily_usd = 10.0\n",
                   concurrency=8, rubric="Grade strictly.")
        rest = evaltop_score(cfg, "--once")
        assert rest.returncode == 0, rest.stderr
        assert llm.count() == 300
    assert "nothing left pending" in rest.stdout
    assert _count(conn, "SELECT COUNT(*) FROM scores WHERE passed = 0") == 150
    assert _count(conn, "SELECT COUNT(*) FROM score_history") == 150


def test_rescore_options_are_checked(tmp_path):
    cfg = write_config(tmp_path, [llm_judge("http://127.0.0.1:9/v1")])
    for args, words in ((["--rescore"], "--rescore needs --since"),
                        (["--rescore", "--since", "soon"], "expected a duration"),
                        (["--since", "7d"], "--since goes with --rescore"),
                        (["--dry-run"], "go with --rescore"),
                        (["--rescore", "--since", "7d", "--judge", "qualty"],
                         "--judge 'qualty': no such judge")):
        done = CliRunner().invoke(cli, ["score", "--config", str(cfg), *args])
        assert done.exit_code == 2 and words in done.output, (args, done.output)
        assert "Traceback" not in done.output


def test_earlier_outages_do_not_use_up_a_rescore_s_tries(make_config, conn, db_path):
    """Three outage series make an error for good; a rescore of that pair
    starts its count afresh (one more outage is deferred, not final)."""
    add_outputs(conn, 1)
    with LoopbackLLM(mode="500") as llm:
        cfg = make_config({"judges": [llm_judge(llm.openai_base_url, max_retries=0)],
                           "sampling": {"base_rate": 1.0}})
        sample_new(cfg, conn)
        for _ in range(3):
            s = score_pending(cfg, db_path)
        assert s.errors == 1 and rows(conn, "SELECT status FROM scores") == [{"status": "error"}]
        plan = rescore(cfg, conn, within=86400, judges=["quality"])
        assert plan.rejudge == 1
        s = score_pending(cfg, db_path)
    assert s.deferred == 1 and s.errors == 0
    assert _count(conn, "SELECT COUNT(*) FROM score_history") == 0
    assert _count(conn, "SELECT COUNT(*) FROM rescore_queue") == 1
