"""Judge calls whose outcome is unknown, against a real loopback server that
cuts connections mid-reply, drops them, stalls past the read timeout, or is
not there at all (a closed port).

The ledger rule under test (docs/pricing.md "Calls whose outcome is
unknown"): each attempt that may have been billed keeps one estimate
settled, as *unconfirmed* spend (``judge_calls.unconfirmed_pusd``), apart
from the confirmed cost of billed replies (``cost_pusd``); a retry first
grows the reservation by one estimate, so settled + reserved never passes a
cap; an attempt refused before any byte left is never charged.
"""

from __future__ import annotations

import socket
import time

import pytest
from judge_helpers import cost, llm_judge, rows, seed
from loopback_server import LoopbackLLM

from evaltop.core.ingest.pricing import PriceBook
from evaltop.core.model.money import pusd_to_usd
from evaltop.core.model.window import Window
from evaltop.core.scoring.judges.llm import budget_prompt_tokens
from evaltop.core.scoring.judges.paid import worst_case_pusd
from evaltop.core.scoring.judges.prompts import build_prompt
from evaltop.core.scoring.judges.runner import score_pending
from evaltop.core.scoring.judges.subject import Subject
from evaltop.core.views import dashboard
from evaltop.core.views.report import build as report_mod
from evaltop.core.views.report.context import ReportContext


@pytest.fixture
def llm():
    with LoopbackLLM() as server:
        yield server


def _cfg(make_config, base_url, provider="openai", budgets=None, **kw):
    data = {"judges": [llm_judge(base_url, provider=provider, **kw)]}
    if budgets:
        data["budgets"] = budgets
    return make_config(data)


def _base(llm, provider):
    return llm.openai_base_url if provider == "openai" else llm.anthropic_base_url


def _estimate(cfg, conn, output_id="o0") -> int:
    """About the reserved worst case of one attempt (the prompt's random
    delimiter changes it by a few tokens from call to call)."""
    j = cfg.judges[0]
    r = conn.execute("SELECT * FROM outputs WHERE id = ?", (output_id,)).fetchone()
    subject = Subject(id=r["id"], model=r["model"], task=r["task"], input_text=r["input_text"],
                      output_text=r["output_text"])
    prompt = build_prompt(j, subject, redact=cfg.redaction.enabled)
    price = PriceBook.from_config(cfg).lookup(j.model)
    return worst_case_pusd(price, budget_prompt_tokens(prompt, j.model), j.max_output_tokens)


def _report_spend(cfg, conn) -> dict:
    ctx = ReportContext(cfg=cfg, conn=conn, window=Window(None, 4e9))
    return report_mod.build(ctx)["spend"]


def _ledger(conn):
    return rows(conn, "SELECT state, amount_pusd FROM ledger WHERE state != 'refused'")


@pytest.mark.parametrize("mode, provider", [
    ("reset", "openai"), ("drop", "anthropic"), ("stall", "openai"),
])
def test_cut_attempt_is_retried_and_its_estimate_kept_apart_as_unconfirmed(
    make_config, conn, db_path, llm, mode, provider
):
    llm.set_mode(mode, times=1, stall_s=3.0, usage=(10, 10))
    seed(conn, 1)
    cfg = _cfg(make_config, _base(llm, provider), provider, timeout_s=0.5)
    s = score_pending(cfg, db_path)
    # the sample still gets its verdict: the cut attempt was retried
    assert (s.judged, s.errors, s.deferred) == (1, 0, 0)
    assert llm.count() == 2
    call = rows(conn, "SELECT * FROM judge_calls")[0]
    assert (call["status"], call["attempts"], call["cost_pusd"], call["cost_known"]) == (
        "ok", 2, cost(10, 10), 0)
    # one estimate per attempt: the retry grew the reservation to two
    est = call["reserved_pusd"] // 2
    assert est > cost(10, 10) and call["reserved_pusd"] == 2 * est
    assert (call["unconfirmed_attempts"], call["unconfirmed_pusd"]) == (1, est)
    # the ledger holds both, once each: what the reply billed + the cut attempt's estimate
    assert _ledger(conn) == [{"state": "settled", "amount_pusd": cost(10, 10) + est}]
    assert (s.cost_pusd, s.unconfirmed_pusd, s.unconfirmed_calls) == (cost(10, 10), est, 1)
    spend = _report_spend(cfg, conn)
    assert spend["judge_usd"] == pusd_to_usd(cost(10, 10))
    assert spend["judge_unconfirmed_usd"] == pusd_to_usd(est)
    assert spend["judge_unconfirmed_calls"] == 1
    # the Spend screen's view: confirmed cost, unconfirmed apart
    view = dashboard.spend(conn, cfg, time.time())
    judge = next(k for k in view.by_kind if k["kind"] == "judge")
    assert (judge["cost_pusd"], judge["unconfirmed_pusd"], judge["unconfirmed_calls"]) == (
        cost(10, 10), est, 1)
    assert [(j["cost_pusd"], j["unconfirmed_pusd"], j["unconfirmed_attempts"])
            for j in view.by_judge] == [(cost(10, 10), est, 1)]


def test_connection_refused_is_never_charged(make_config, conn, db_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    seed(conn, 1)
    cfg = _cfg(make_config, f"http://127.0.0.1:{port}/v1")
    s = score_pending(cfg, db_path)
    call = rows(conn, "SELECT * FROM judge_calls")[0]
    assert call["attempts"] == 3  # the SDKs' default: 2 retries
    assert (call["cost_pusd"], call["unconfirmed_pusd"], call["unconfirmed_attempts"],
            call["cost_known"]) == (0, 0, 0, 1)
    assert "ConnectError" in call["error"]
    assert _ledger(conn) == [{"state": "released", "amount_pusd": 0}]
    assert s.deferred == 1 and s.cost_pusd == 0 and s.unconfirmed_pusd == 0
    spend = _report_spend(cfg, conn)
    assert (spend["judge_usd"], spend["judge_unconfirmed_usd"],
            spend["judge_unconfirmed_calls"]) == (0.0, 0.0, 0)


def test_every_attempt_cut_keeps_one_estimate_each_and_defers(make_config, conn, db_path, llm):
    llm.set_mode("reset", times=99)
    seed(conn, 1)
    cfg = _cfg(make_config, llm.openai_base_url, max_retries=2)
    s = score_pending(cfg, db_path)
    assert llm.count() == 3 and s.deferred == 1
    call = rows(conn, "SELECT * FROM judge_calls")[0]
    est = call["reserved_pusd"] // 3
    assert call["reserved_pusd"] == 3 * est
    assert call["status"] == "error" and "gave up after 3 attempts" in call["error"]
    assert (call["cost_pusd"], call["unconfirmed_attempts"], call["unconfirmed_pusd"]) == (
        0, 3, 3 * est)
    assert _ledger(conn) == [{"state": "settled", "amount_pusd": 3 * est}]


def test_a_retry_the_budget_cannot_cover_is_not_sent(make_config, conn, db_path, llm):
    llm.set_mode("reset", times=99)
    seed(conn, 1)
    probe = _cfg(make_config, llm.openai_base_url)
    est = _estimate(probe, conn)
    cap = pusd_to_usd(est + est // 2)  # room for one attempt, not two
    cfg = _cfg(make_config, llm.openai_base_url, budgets={"judge_daily_usd": cap})
    s = score_pending(cfg, db_path)
    assert llm.count() == 1  # the retry would pass the cap: never sent
    call = rows(conn, "SELECT * FROM judge_calls")[0]
    assert call["unconfirmed_attempts"] == 1
    assert call["unconfirmed_pusd"] == call["reserved_pusd"] <= est + est // 2
    assert "budget" in call["error"]
    assert _ledger(conn) == [{"state": "settled", "amount_pusd": call["reserved_pusd"]}]
    assert s.deferred == 1


def test_x_should_retry_header_is_obeyed(make_config, conn, db_path):
    seen = []

    def responder(req):
        seen.append(1)
        if len(seen) == 1:
            return 400, {"x-should-retry": "true"}, {"error": {"message": "try again"}}
        return 503, {"x-should-retry": "false"}, {"error": {"message": "do not"}}

    with LoopbackLLM(responder=responder) as llm:
        seed(conn, 1)
        score_pending(_cfg(make_config, llm.openai_base_url), db_path)
        assert llm.count() == 2
    call = rows(conn, "SELECT * FROM judge_calls")[0]
    assert call["attempts"] == 2 and call["error"] == "HTTP 503: do not"


def test_retry_after_ms_header_is_honoured(make_config, conn, db_path):
    from evaltop.core.scoring.judges.retry import retry_after_s

    assert retry_after_s({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert retry_after_s({"retry-after": "2"}) == 2.0
    assert retry_after_s({"retry-after-ms": "soon", "retry-after": "3"}) == 3.0
    assert retry_after_s({}) is None


def test_v20_moves_old_estimates_to_unconfirmed_and_keeps_every_amount(tmp_path):
    import sqlite3

    from evaltop.store import db
    from evaltop.store.schema import steps

    path = tmp_path / "v19.db"
    raw = sqlite3.connect(path, isolation_level=None)
    for script in steps.STEPS[:19]:
        steps.run_script(raw, script)
    raw.execute("PRAGMA user_version = 19")
    ts = 1_767_225_600.0
    raw.executemany(
        "INSERT INTO judge_calls (judge, model, output_id, status, cost_pusd, cost_known,"
        " reserved_pusd, ts) VALUES ('j', 'm', ?, ?, ?, ?, ?, ?)",
        [("o1", "ok", 10**9, 1, 3 * 10**9, ts), ("o2", "timeout", 5 * 10**9, 0, 5 * 10**9, ts)])
    raw.close()
    conn = db.connect(path)  # migrates to the current version
    try:
        got = rows(conn, "SELECT output_id, cost_pusd, unconfirmed_pusd, unconfirmed_attempts"
                         " FROM judge_calls ORDER BY output_id")
        assert [tuple(r.values()) for r in got] == [("o1", 10**9, 0, 0), ("o2", 0, 5 * 10**9, 1)]
        daily = rows(conn, "SELECT calls, cost_pusd, unknown, unconfirmed_pusd,"
                           " unconfirmed_attempts FROM judge_spend_daily")
        assert daily == [{"calls": 2, "cost_pusd": 10**9, "unknown": 1,
                          "unconfirmed_pusd": 5 * 10**9, "unconfirmed_attempts": 1}]
        assert rows(conn, "SELECT unconfirmed_attempts FROM run_cases") == []
    finally:
        conn.close()
