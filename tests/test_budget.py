"""Judge budget ledger: caps, settle/release, reconcile, state, races."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from evaltop.core.model.money import usd_to_pusd
from evaltop.core.scoring import budget
from evaltop.store import db

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC).timestamp()
CENT = usd_to_pusd("0.01")


def _cfg(make_config, daily=None, monthly=None):
    return make_config({"budgets": {"judge_daily_usd": daily, "judge_monthly_usd": monthly}})


def _ledger(conn):
    return [
        dict(r)
        for r in conn.execute("SELECT * FROM ledger WHERE state != 'refused' ORDER BY rowid")
    ]


def test_reserve_within_cap_then_refuse_past_it(conn, make_config):
    cfg = _cfg(make_config, daily=0.05)
    held = [budget.reserve(conn, "judge", CENT, f"r{i}", "me", cfg, NOW) for i in range(5)]
    assert all(held)
    assert budget.reserve(conn, "judge", 1, "r5", "me", cfg, NOW) is None
    res = budget.try_reserve(conn, amount_pusd=1, ref="r6", cfg=cfg, now=NOW)
    assert res.refused == "budget" and "daily budget $0.05" in res.reason
    # settling below the estimate frees room for exactly the difference
    budget.settle(conn, held[0], CENT // 2, NOW)
    assert budget.reserve(conn, "judge", CENT // 2, "r7", "me", cfg, NOW)
    assert budget.reserve(conn, "judge", 1, "r8", "me", cfg, NOW) is None
    # releasing frees the whole reservation
    assert budget.release(conn, held[1], NOW)
    assert budget.reserve(conn, "judge", CENT, "r9", "me", cfg, NOW)
    assert not budget.release(conn, held[1], NOW)  # already released: no double free


def test_monthly_cap_counts_earlier_days(conn, make_config):
    cfg = _cfg(make_config, daily=1.0, monthly=0.03)
    yesterday = NOW - 86400
    r = budget.reserve(conn, "judge", 2 * CENT, "a", "", cfg, yesterday)
    budget.settle(conn, r, 2 * CENT, yesterday)
    assert budget.reserve(conn, "judge", CENT, "b", "", cfg, NOW)
    res = budget.try_reserve(conn, amount_pusd=1, ref="c", cfg=cfg, now=NOW)
    assert res.refused == "budget" and "monthly budget $0.03" in res.reason
    # the next month starts from zero
    next_month = datetime(2026, 12, 1, 0, 0, 1, tzinfo=UTC).timestamp()
    assert budget.reserve(conn, "judge", 3 * CENT, "d", "", cfg, next_month)


def test_no_caps_means_no_refusal(conn, make_config):
    cfg = _cfg(make_config)
    assert budget.reserve(conn, "judge", usd_to_pusd(10_000), "big", "", cfg, NOW)


def test_zero_cap_refuses_everything_and_pauses(conn, make_config):
    cfg = _cfg(make_config, daily=0)
    assert budget.reserve(conn, "judge", 1, "x", "", cfg, NOW) is None
    state = budget.judge_budget_state(conn, cfg, NOW)
    assert state["paused"] and "2026-11-28T00:00Z" in state["reason"]


def test_guard_refuses_inside_the_same_transaction(conn, make_config):
    cfg = _cfg(make_config, daily=1.0)

    def guard(c):
        return "claimed" if db_has_ref(c, "job") else None

    def db_has_ref(c, ref):
        return c.execute(
            "SELECT 1 FROM ledger WHERE ref = ? AND state = 'reserved'", (ref,)
        ).fetchone()

    first = budget.try_reserve(conn, amount_pusd=CENT, ref="job", cfg=cfg, now=NOW, guard=guard)
    second = budget.try_reserve(conn, amount_pusd=CENT, ref="job", cfg=cfg, now=NOW, guard=guard)
    assert first.reservation and second.refused == "claimed"
    assert len(_ledger(conn)) == 1


def test_budget_state_spent_reserved_and_pause_on_refusal(conn, make_config):
    cfg = _cfg(make_config, daily=0.05, monthly=2.0)
    r1 = budget.reserve(conn, "judge", 3 * CENT, "a", "", cfg, NOW)
    budget.settle(conn, r1, 2 * CENT, NOW)
    budget.reserve(conn, "judge", CENT, "b", "", cfg, NOW)
    state = budget.judge_budget_state(conn, cfg, NOW)
    assert state == {"daily_usd": 0.05, "spent_today_usd": 0.02, "monthly_usd": 2.0,
                     "spent_month_usd": 0.02, "reserved_usd": 0.01, "paused": False, "reason": ""}
    # a call needing 3 cents no longer fits (2 spent + 1 reserved + 3 > 5): paused
    assert budget.reserve(conn, "judge", 3 * CENT, "c", "", cfg, NOW) is None
    state = budget.judge_budget_state(conn, cfg, NOW)
    assert state["paused"] and "daily budget $0.05" in state["reason"]
    # the next UTC day resumes (the daily refusal is per day)
    assert not budget.judge_budget_state(conn, cfg, NOW + 86400)["paused"]


def test_fifty_threads_never_overshoot_the_cap(db_path, make_config):
    cfg = _cfg(make_config, daily=0.10)
    db.connect(db_path).close()
    amount = usd_to_pusd("0.0037")  # 27 fit in $0.10, not 28
    barrier = threading.Barrier(50)
    got: list[bool] = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        c = db.connect(db_path, migrate=False)
        try:
            barrier.wait()
            for k in range(2):
                r = budget.reserve(c, "judge", amount, f"t{i}-{k}", f"w{i}", cfg, NOW)
                if r is not None and k == 1:
                    budget.settle(c, r, amount - 1, NOW)
                with lock:
                    got.append(r is not None)
        finally:
            c.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    c = db.connect(db_path)
    total = c.execute(
        "SELECT SUM(amount_pusd) FROM ledger WHERE state IN ('reserved','settled')"
    ).fetchone()[0]
    granted = sum(got)
    assert len(got) == 100
    assert total <= usd_to_pusd("0.10")
    assert granted >= 27  # settling below estimate may free room for a few more
    assert total + amount > usd_to_pusd("0.10")  # and the cap really was reached
    c.close()


def test_reconcile_settles_sent_and_releases_unsent(conn, make_config):
    cfg = _cfg(make_config, daily=1.0)
    meta = {"judge": "helpful", "model": "claude-haiku-4-5", "output_id": "o1"}
    sent = budget.try_reserve(conn, amount_pusd=CENT, ref="a", owner="dead", cfg=cfg, now=NOW,
                              sent=True, meta=meta).reservation
    unsent = budget.reserve(conn, "judge", 2 * CENT, "b", "dead", cfg, NOW)
    fresh = budget.try_reserve(conn, amount_pusd=CENT, ref="c", owner="alive", cfg=cfg,
                               now=NOW + 890, sent=True).reservation
    out = budget.reconcile(conn, now=NOW + 900)  # default: only rows older than 900 s
    assert (out.settled, out.released, out.settled_pusd) == (1, 1, CENT)
    rows = {r["ref"]: r for r in _ledger(conn)}
    assert rows["a"]["state"] == "settled" and rows["a"]["amount_pusd"] == CENT
    assert rows["b"]["state"] == "released" and rows["b"]["amount_pusd"] == 0
    assert rows["c"]["state"] == "reserved"  # a live process's call is left alone
    lost = conn.execute("SELECT * FROM judge_calls").fetchall()
    assert len(lost) == 1
    assert (
        lost[0]["status"],
        lost[0]["cost_known"],
        lost[0]["cost_pusd"],
        lost[0]["unconfirmed_pusd"],
        lost[0]["output_id"],
    ) == ("lost", 0, 0, CENT, "o1")
    # owner + older_than=0 finishes everything that owner holds (clean shutdown)
    out = budget.reconcile(conn, owner="alive", older_than=0, now=NOW + 901)
    assert out.settled == 1 and not budget.release(conn, fresh)
    assert sent and unsent


def test_extend_respects_the_cap(conn, make_config):
    cfg = _cfg(make_config, daily=0.03)
    r = budget.reserve(conn, "judge", CENT, "a", "", cfg, NOW)
    r2 = budget.extend(conn, r, CENT, cfg, NOW)
    assert r2 is not None and r2.amount_pusd == 2 * CENT
    assert budget.extend(conn, r2, 2 * CENT, cfg, NOW) is None
    assert _ledger(conn)[0]["amount_pusd"] == 2 * CENT
