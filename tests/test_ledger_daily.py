"""The trigger-kept ledger_daily rollup equals a scan of the ledger through
every way the budget code changes it: reserve, extend, settle, release,
refusals, deletes, across UTC day and month edges."""

import random
from datetime import UTC, datetime

from evaltop.core.scoring import budget
from evaltop.store import ledger
from evaltop.store.db import write

DAYS = [datetime(2026, 11, d, 12, tzinfo=UTC).timestamp() for d in (29, 30)] + \
       [datetime(2026, 12, 1, 0, 0, 1, tzinfo=UTC).timestamp()]


def all_periods(conn):
    return conn.execute("SELECT DISTINCT kind, day, month FROM ledger").fetchall()


def assert_agree(conn):
    periods = all_periods(conn)
    for kind, day, month in periods + [("judge", "2026-11-28", "2026-11")]:
        assert ledger.period_totals(conn, kind, day, month) == ledger.period_totals_scan(
            conn, kind, day, month
        )


def test_rollup_equals_scan_through_random_budget_traffic(make_config, conn):
    cfg = make_config({"budgets": {"judge_daily_usd": 0.05, "judge_monthly_usd": 0.2}})
    rng = random.Random(7)
    held = []
    for i in range(400):
        now = rng.choice(DAYS) + rng.random() * 3600
        op = rng.random()
        if op < 0.45 or not held:
            r = budget.reserve(
                conn,
                "judge",
                rng.randrange(1, 5_000_000_000),
                ref=f"r{i}",
                owner="t",
                cfg=cfg,
                now=now,
            )
            if r is not None:
                held.append(r)
        elif op < 0.75:
            budget.settle(
                conn, held.pop(rng.randrange(len(held))), rng.randrange(0, 5_000_000_000), now=now
            )
        else:
            budget.release(conn, held.pop(rng.randrange(len(held))))
        if i % 50 == 0:
            assert_agree(conn)
    assert conn.execute("SELECT COUNT(*) FROM ledger WHERE state = 'refused'").fetchone()[0] > 0
    assert_agree(conn)
    with write(conn):
        conn.execute("DELETE FROM ledger WHERE rowid % 3 = 0")
    assert_agree(conn)
    n = conn.execute("SELECT SUM(n) FROM ledger_daily").fetchone()[0]
    assert n == conn.execute("SELECT COUNT(*) FROM ledger").fetchone()[0]


def test_migration_backfills_existing_ledger_rows(db_path):
    import sqlite3

    from evaltop.store import db
    from evaltop.store.schema import steps

    conn = db.connect(db_path)
    with write(conn):
        conn.execute("DROP TABLE ledger_daily")
        for name in ("ins", "upd", "del"):
            conn.execute(f"DROP TRIGGER ledger_daily_{name}")
        conn.executemany(
            "INSERT INTO ledger (kind, state, amount_pusd, day, month, created_at) "
            "VALUES ('judge', ?, ?, ?, ?, 0)",
            [
                ("settled", 5, "2026-11-27", "2026-11"),
                ("reserved", 7, "2026-11-27", "2026-11"),
                ("settled", 11, "2026-11-03", "2026-11"),
            ],
        )
        steps.run_script(conn, steps.STEPS[13])  # v14: ledger_daily
    assert ledger.period_totals(conn, "judge", "2026-11-27", "2026-11") == {
        "day_settled": 5, "day_reserved": 7, "month_settled": 16, "month_reserved": 7}
    conn.close()
    assert sqlite3.connect(db_path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
