"""A real `evaltop replay` process is SIGKILLed with calls in flight, then the
run is resumed: every case ends ok exactly once, the only repeated calls are
the in-flight ones, and they are counted as lost calls."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time

from loopback_server import LoopbackLLM
from replay_helpers import CALL_PUSD, ScriptedCandidate, write_config, write_corpus

N, DONE_FIRST, CONC = 40, 10, 4


def counts(db) -> tuple[int, int]:
    if not db.exists():
        return 0, 0
    c = sqlite3.connect(db, timeout=30)
    try:
        if not c.execute("SELECT 1 FROM sqlite_master WHERE name = 'run_cases'").fetchone():
            return 0, 0
        ok, claimed = c.execute(
            "SELECT coalesce(sum(status='ok'), 0), coalesce(sum(status='claimed'), 0)"
            " FROM run_cases WHERE run_id = 'crash'"
        ).fetchone()
        return ok, claimed
    finally:
        c.close()


def replay_cmd(cfgfile, corpus):
    return [
        sys.executable,
        "-m",
        "evaltop.tui.cli.main",
        "replay",
        str(corpus),
        "--candidate",
        "cand",
        "--run",
        "crash",
        "--config",
        str(cfgfile),
        "--no-judge",
    ]


def test_sigkill_mid_run_then_resume_pays_each_recorded_case_once(tmp_path):
    gate = threading.Event()
    script = ScriptedCandidate(gate=gate, gate_from=DONE_FIRST)
    with LoopbackLLM(responder=script) as llm:
        cfgfile, cfg = write_config(tmp_path, llm.base_url, conc=CONC)
        corpus = tmp_path / "corpus.jsonl"
        write_corpus(corpus, N)
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        child = subprocess.Popen(replay_cmd(cfgfile, corpus), env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 60
            # Cases before DONE_FIRST finish; then CONC calls hang at the gate, claimed.
            # A case is claimed before its request is sent, so wait for the
            # requests to reach the server too (a loaded box can lag between).
            while counts(cfg.db_path) != (DONE_FIRST, CONC) or script.total() < DONE_FIRST + CONC:
                assert child.poll() is None, child.communicate()
                assert time.monotonic() < deadline, counts(cfg.db_path)
                time.sleep(0.02)
            child.send_signal(signal.SIGKILL)
            child.wait(30)
        finally:
            if child.poll() is None:
                child.kill()
            gate.set()
        assert child.returncode == -signal.SIGKILL
        assert script.total() == DONE_FIRST + CONC

        done = subprocess.run(
            replay_cmd(cfgfile, corpus), env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        assert (
            f"already done {DONE_FIRST}" in done.stdout
            and f"lost calls from a crashed run {CONC}" in done.stdout
        )

    c = sqlite3.connect(cfg.db_path)
    status = c.execute(
        "SELECT status, count(*) FROM run_cases WHERE run_id='crash' GROUP BY status"
    ).fetchall()
    lost_cases = c.execute(
        "SELECT case_id FROM run_cases WHERE lost_calls = 1 ORDER BY case_id"
    ).fetchall()
    cost, lost = c.execute("SELECT sum(cost_pusd), sum(lost_calls) FROM run_cases").fetchone()
    c.close()
    assert status == [("ok", N)]
    # the in-flight cases were called twice, every other case exactly once
    assert [cid for (cid,) in lost_cases] == [
        f"c{n:03d}" for n in range(DONE_FIRST, DONE_FIRST + CONC)
    ]
    assert script.calls == {n: 2 if DONE_FIRST <= n < DONE_FIRST + CONC else 1 for n in range(N)}
    assert script.total() == N + lost
    assert cost == N * CALL_PUSD  # recorded inference spend: one reply per case
