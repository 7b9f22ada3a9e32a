"""The judge budget under real concurrency and a real crash (loopback server)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

from judge_helpers import cost, llm_judge, rows, score_watching_ledger, seed
from loopback_server import LoopbackLLM

from evaltop.core.model.money import usd_to_pusd
from evaltop.core.scoring import budget
from evaltop.core.scoring.judges.runner import score_pending


def test_fifty_concurrent_calls_near_the_cap_never_overshoot(make_config, conn, db_path):
    cap_usd = 0.045  # ~45 worst cases of ~$0.001 fit; 50 calls start together
    with LoopbackLLM(latency_s=0.1, usage=(100, 20)) as llm:
        judge = llm_judge(llm.openai_base_url, concurrency=50)
        cfg = make_config({"judges": [judge], "budgets": {"judge_daily_usd": cap_usd}})
        seed(conn, 120)
        s, seen = score_watching_ledger(cfg, db_path)
        sent = llm.count()
    cap = usd_to_pusd(cap_usd)
    assert seen and max(seen) <= cap
    assert s.skipped_budget > 0 and "daily budget" in s.budget_reason
    assert max(seen) > cap - usd_to_pusd("0.002")  # the cap was really pressed (~2 worst cases)
    assert s.judged == sent < 120  # the cap, not the backlog, ended the run
    calls = rows(conn, "SELECT status, cost_pusd FROM judge_calls")
    assert sum(c["cost_pusd"] for c in calls) == s.cost_pusd == sent * cost(100, 20)
    assert rows(conn, "SELECT COUNT(*) AS n FROM ledger WHERE state = 'reserved'") == [{"n": 0}]
    settled = rows(conn, "SELECT SUM(amount_pusd) AS t FROM ledger WHERE state = 'settled'")[0]["t"]
    assert settled == s.cost_pusd <= cap
    assert rows(conn, "SELECT COUNT(*) AS n FROM samples WHERE status = 'pending'") == [
        {"n": 120 - sent}
    ]


def test_killed_mid_call_reconciles_as_spent_then_rejudges(make_config, conn, db_path, tmp_path):
    with LoopbackLLM(latency_s=60, usage=(100, 20)) as llm:
        judge = llm_judge(llm.openai_base_url, concurrency=2, deadline_s=120, timeout_s=100)
        cfg_path = tmp_path / "evaltop.toml"
        cfg_path.write_text(
            f'[store]\npath = "{db_path}"\n[budgets]\njudge_daily_usd = 1.0\n'
            f"[[judges]]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in judge.items()))
        cfg = make_config({"judges": [judge], "budgets": {"judge_daily_usd": 1.0}})
        seed(conn, 2)
        code = (
            "import sys; from evaltop.core.model import config; "
            "from evaltop.core.scoring.judges.runner import score_pending;"
            "cfg = config.load(sys.argv[1]); score_pending(cfg, cfg.db_path, owner='crasher')"
        )
        proc = subprocess.Popen([sys.executable, "-c", code, str(cfg_path)])
        try:
            deadline = time.monotonic() + 60
            while llm.count() < 2 and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.02)  # bounded poll for a condition: both requests are in flight
            assert llm.count() == 2, "the subprocess never sent its judge calls"
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.wait(timeout=30)
        held = rows(conn, "SELECT * FROM ledger WHERE state = 'reserved'")
        assert len(held) == 2 and all(r["owner"] == "crasher" and r["sent_at"] for r in held)
        out = budget.reconcile(conn, owner="crasher", older_than=0)
        assert (out.settled, out.released) == (2, 0)
        estimate = sum(r["amount_pusd"] for r in held)
        lost = rows(conn, "SELECT * FROM judge_calls")
        assert [(r["status"], r["cost_known"]) for r in lost] == [("lost", 0)] * 2
        # unconfirmed, apart from confirmed spend, and still counted by the budget
        assert sum(r["cost_pusd"] for r in lost) == 0
        assert [r["unconfirmed_attempts"] for r in lost] == [1, 1]
        assert sum(r["unconfirmed_pusd"] for r in lost) == estimate == out.settled_pusd
        assert rows(conn, "SELECT DISTINCT status FROM samples") == [{"status": "pending"}]
        # the results were lost with the process: the next run judges again and pays again
        llm.latency_s = 0
        s = score_pending(cfg, db_path)
    assert s.judged == 2 and s.cost_pusd == 2 * cost(100, 20)
    spent = budget.judge_budget_state(conn, cfg)["spent_today_usd"]
    assert usd_to_pusd(spent) == estimate + 2 * cost(100, 20)
    assert rows(conn, "SELECT COUNT(*) AS n FROM ledger WHERE state = 'reserved'") == [{"n": 0}]
