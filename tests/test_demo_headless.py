"""`evaltop demo --headless` end to end, as a user runs it: a real subprocess,
then the database it left behind is opened and checked."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from evaltop.core.analysis.regressions import find_regressions
from evaltop.core.demo import session as demo_mod
from evaltop.core.demo import traffic as dt
from evaltop.core.model.window import Window

EVALTOP = str(Path(sys.executable).with_name("evaltop"))


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    home = tmp_path_factory.mktemp("evaltop-home")
    env = {**os.environ, "EVALTOP_HOME": str(home), "TIKTOKEN_CACHE_DIR": str(home / "tiktoken")}
    env = {k: v for k, v in env.items() if not k.endswith("_API_KEY")}
    started = time.time()
    # 30 s: the candidate's live extract_contact cases (all sampled) then number
    # about 20. At 20 s six runs gave 7 to 18, and a run with too few to tell
    # the regression apart is then a real, if rare, outcome.
    proc = subprocess.run([EVALTOP, "demo", "--headless", "--seconds", "30"], env=env,
                          capture_output=True, text=True, timeout=600)
    # shown by pytest when a test below fails: what the demo itself said
    print("demo stdout:\n" + proc.stdout[-4000:] + "\ndemo stderr:\n" + proc.stderr[-4000:])
    return home / "demo", proc, started


def _db(folder: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(folder / demo_mod.DB_NAME)
    conn.row_factory = sqlite3.Row
    return conn


def test_exits_zero_and_says_where_files_are(demo_run):
    folder, proc, _ = demo_run
    assert proc.returncode == 0, proc.stderr
    assert str(folder) in proc.stdout
    assert "regressions" in proc.stdout and "alerts" in proc.stdout
    assert (folder / "logs" / demo_mod.LOG_NAME).stat().st_size > 0


def test_outputs_went_through_the_tailer(demo_run):
    folder, _, started = demo_run
    conn = _db(folder)
    lines = [json.loads(x) for x in (folder / "logs" / demo_mod.LOG_NAME).read_text().splitlines()]
    outputs = [r for r in lines if r.get("type") != "feedback"]
    stored = conn.execute("SELECT COUNT(*) FROM outputs").fetchone()[0]
    assert stored == len(outputs) > 1000  # every line written was ingested, once
    assert conn.execute("SELECT COUNT(*) FROM feedback").fetchone()[0] == len(lines) - len(outputs)
    live = conn.execute("SELECT COUNT(*) FROM outputs WHERE ts >= ?", (started,)).fetchone()[0]
    assert live > 20  # live traffic, not only the backfill
    assert conn.execute("SELECT COUNT(*) FROM checkpoints").fetchone()[0] >= 1
    # outputs logged without usage were counted by tiktoken and say so
    assert (
        conn.execute(
            "SELECT COUNT(*) FROM outputs WHERE usage_estimated = 1 AND input_tokens > 0"
        ).fetchone()[0]
        > 0
    )


def test_rule_checks_and_demo_judge_scored_with_judge_spend(demo_run):
    folder, _, _ = demo_run
    conn = _db(folder)
    kinds = {r["kind"]: r["n"] for r in conn.execute(
        "SELECT kind, COUNT(*) n FROM scores WHERE status = 'ok' GROUP BY kind")}
    assert kinds.get("rule", 0) > 100 and kinds.get("demo", 0) > 100, kinds
    judges = {r[0] for r in conn.execute("SELECT DISTINCT judge FROM scores")}
    assert {"json_valid", "contact_fields", "latency_4s", "quality"} <= judges
    failed = conn.execute(
        "SELECT COUNT(*) FROM scores WHERE judge = 'contact_fields' AND passed = 0"
    ).fetchone()[0]
    assert failed > 0
    calls = conn.execute("SELECT COUNT(*), SUM(cost_pusd), MIN(cost_pusd) FROM judge_calls"
                         " WHERE status = 'ok'").fetchone()
    assert calls[0] > 100 and calls[1] > 0 and calls[2] > 0  # every call priced, none free
    # rule checks cost nothing and make no judge calls; the demo judge's calls match its scores
    demo_scores = conn.execute("SELECT COUNT(*) FROM scores WHERE kind = 'demo'").fetchone()[0]
    assert calls[0] == demo_scores
    assert conn.execute("SELECT COUNT(*) FROM ledger WHERE state = 'reserved'").fetchone()[0] == 0


def test_the_planted_regression_is_found(demo_run):
    folder, _, _ = demo_run
    conn = _db(folder)
    cfg = demo_mod.build_config(folder)
    now = conn.execute("SELECT MAX(ts) FROM outputs").fetchone()[0] + 1
    current = Window.ending_at(now, 15 * 60)
    found = find_regressions(conn, cfg, current, current.before(3 * 86400))
    hits = [r for r in found if r.regressed]
    assert hits, [r for r in found if not r.insufficient][:5]
    planted = [r for r in hits if r.segment.task == dt.REGRESSED_TASK
               and r.segment.model == dt.CANDIDATE]
    assert planted
    assert {r.judge for r in planted} & {"contact_fields", "json_valid", "quality"}
    # drill-down leads to real failing cases of that segment
    failing = conn.execute(
        "SELECT o.output_text FROM scores s JOIN outputs o ON o.id = s.output_id"
        " WHERE s.judge = 'contact_fields' AND s.passed = 0 AND o.model = ? AND o.task = ?",
        (dt.CANDIDATE, dt.REGRESSED_TASK)).fetchall()
    assert any("phone_number" in r[0] for r in failing)


def test_a_budget_alert_fired(demo_run):
    folder, _, _ = demo_run
    conn = _db(folder)
    alerts = conn.execute("SELECT kind, level, message FROM alerts").fetchall()
    assert alerts
    assert any("budget" in (a["kind"] + a["message"]).lower() for a in alerts)


def test_report_json_agrees(demo_run):
    folder, _, _ = demo_run
    proc = subprocess.run([EVALTOP, "report", "--format", "json", "--since", "all",
                           "--db", str(folder / demo_mod.DB_NAME)],
                          capture_output=True, text=True, timeout=60, cwd=folder)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    conn = _db(folder)
    assert report["outputs"] == conn.execute("SELECT COUNT(*) FROM outputs").fetchone()[0]
    assert report["spend"]["judge_usd"] > 0
