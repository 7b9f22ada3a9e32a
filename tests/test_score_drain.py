"""`evaltop score --once` drains the backlog: a real process, a real SQLite
file and a real loopback judge; budgets and --limit bound it and the summary
says what is left and why."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
from pathlib import Path

from judge_helpers import llm_judge, rows, seed
from loopback_server import LoopbackLLM
from score_helpers import evaltop_score, write_config
from score_helpers import pending as _pending
from wait_helpers import until

from evaltop.core.model.money import usd_to_pusd


def _config(tmp_path: Path, judge: dict, extra: str = "") -> Path:
    return write_config(tmp_path, [judge], extra)


def _score(cfg: Path, *args: str) -> subprocess.CompletedProcess:
    return evaltop_score(cfg, "--once", *args)


def test_once_drains_a_backlog_far_past_score_batch(tmp_path, conn, db_path):
    seed(conn, 1100)
    with LoopbackLLM(usage=(50, 10)) as llm:
        cfg = _config(tmp_path, llm_judge(llm.openai_base_url, concurrency=16))
        done = _score(cfg)
        sent = llm.count()
    assert done.returncode == 0, done.stderr
    assert sent == 1100  # every pending sample judged once, none twice
    assert _pending(db_path) == 0
    assert "judged 1,100 outputs" in done.stdout, done.stdout
    assert "nothing left pending" in done.stdout, done.stdout
    # stdout is a pipe here: no progress bar, no terminal control codes
    assert "\x1b" not in done.stdout and "\r" not in done.stdout


def test_once_stops_at_the_judge_budget_and_says_what_is_left(tmp_path, conn, db_path):
    seed(conn, 1000)
    cap_usd = 0.05
    with LoopbackLLM(usage=(100, 20)) as llm:
        judge = llm_judge(llm.openai_base_url, concurrency=8)
        cfg = _config(tmp_path, judge, extra=f"[budgets]\njudge_daily_usd = {cap_usd}\n")
        done = _score(cfg)
        sent = llm.count()
    assert done.returncode == 0, done.stderr
    assert 0 < sent < 1000  # the cap, not the backlog, ended the run
    left = _pending(db_path)
    assert left == 1000 - sent
    assert f"left pending: {left:,} outputs" in done.stdout, done.stdout
    assert "judge daily budget" in done.stdout and "resumes at" in done.stdout, done.stdout
    settled = rows(conn, "SELECT COALESCE(SUM(amount_pusd), 0) AS t FROM ledger "
                         "WHERE state IN ('settled', 'reserved')")[0]["t"]
    assert settled <= usd_to_pusd(cap_usd)  # never overshot


def test_limit_still_bounds_once_and_is_named_as_the_reason(tmp_path, conn, db_path):
    seed(conn, 300)
    with LoopbackLLM(usage=(50, 10)) as llm:
        cfg = _config(tmp_path, llm_judge(llm.openai_base_url, concurrency=8))
        done = _score(cfg, "--limit", "250")
        sent = llm.count()
    assert done.returncode == 0, done.stderr
    assert sent == 250 and _pending(db_path) == 50
    assert "left pending: 50 outputs" in done.stdout and "--limit 250 reached" in done.stdout


def _on_a_terminal(args: list[str]) -> tuple[int, str]:
    """Run `evaltop ARGS` with stdout on a pseudo-terminal; (exit code, what it wrote)."""
    main, sub = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "evaltop.tui.cli.main", *args],
                            stdout=sub, stderr=subprocess.PIPE,
                            env=dict(os.environ, COLUMNS="100", TERM="xterm"))
    os.close(sub)
    out = b""
    try:
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
    finally:
        os.close(main)
        proc.wait(timeout=120)
    return proc.returncode, out.decode("utf-8", "replace")


def test_once_shows_a_progress_bar_on_a_terminal(tmp_path, conn, db_path):
    seed(conn, 300)
    with LoopbackLLM(usage=(50, 10)) as llm:
        cfg = _config(tmp_path, llm_judge(llm.openai_base_url, concurrency=8))
        rc, out = _on_a_terminal(["score", "--once", "--config", str(cfg)])
    assert rc == 0, out
    assert "judging" in out and "300/300" in out and "outputs" in out, out
    assert "judged 300 outputs" in out and "nothing left pending" in out


def test_ctrl_c_stops_starting_calls_and_says_what_is_left(tmp_path, conn, db_path):
    seed(conn, 400)
    with LoopbackLLM(usage=(50, 10), latency_s=0.5) as llm:
        cfg = _config(tmp_path, llm_judge(llm.openai_base_url, concurrency=4))
        proc = subprocess.Popen(
            [sys.executable, "-m", "evaltop.tui.cli.main", "score", "--once", "--config",
             str(cfg)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            until(lambda: llm.count() >= 4 or None, what="judge calls in flight", tick=0.05)
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        sent = llm.count()
    assert proc.returncode == 0, err
    assert sent < 100  # not the rest of the 200-sample page: calls stopped starting
    left = _pending(db_path)
    assert left == 400 - sent
    assert f"left pending: {left:,} outputs: stopped by a signal" in out, out
    assert rows(conn, "SELECT COUNT(*) AS n FROM ledger WHERE state = 'reserved'") == [{"n": 0}]
