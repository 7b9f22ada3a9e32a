"""Daily judge spend: calls, cost and tokens per (UTC day, judge, model), kept
by triggers on ``judge_calls`` so the spend screen's 30 days read ~100 rows
instead of every call.

A day is the exact ``floor(ts / 86400)``; whole days of a window come from
here and its partial days from ``judge_calls`` (see store/queries.py). A call
inserted, changed (settled) or deleted adds or takes out its contribution.
"""

from __future__ import annotations

import sqlite3

from evaltop.store.rollups.triggers import floor_div, on_conflict_add, row_triggers, table_exists

DAY = 86400
TABLE = "judge_spend_daily"
SUMS = ("calls", "cost_pusd", "unknown", "failed", "input_tokens", "output_tokens")
KEY = ("day", "judge", "model")


def _upsert(r: str, sign: str) -> str:
    vals = [floor_div(f"{r}.ts", DAY), f"{r}.judge", f"{r}.model", f"{sign}1", f"{sign}{r}.cost_pusd",
            f"{sign}({r}.cost_known = 0)", f"{sign}({r}.status != 'ok')", f"{sign}{r}.input_tokens",
            f"{sign}{r}.output_tokens"]
    return (f"INSERT INTO {TABLE} ({', '.join(KEY + SUMS)}) VALUES ({', '.join(vals)})"
            + on_conflict_add(KEY, SUMS))


TRIGGERS = row_triggers("judge_spend_daily", "judge_calls",
                        "ts, judge, model, cost_pusd, cost_known, status, input_tokens, output_tokens", _upsert)


def create(conn: sqlite3.Connection) -> None:
    """The table, its triggers, and the days of every call already stored."""
    conn.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (day INTEGER NOT NULL, judge TEXT NOT NULL, "
                 f"model TEXT NOT NULL, {', '.join(f'{c} INTEGER NOT NULL DEFAULT 0' for c in SUMS)}, "
                 f"PRIMARY KEY ({', '.join(KEY)})) WITHOUT ROWID")
    conn.execute(
        f"INSERT INTO {TABLE} ({', '.join(KEY + SUMS)}) SELECT {floor_div('ts', DAY)} AS d, judge, model, count(*), "
        "sum(cost_pusd), sum(cost_known = 0), sum(status != 'ok'), sum(input_tokens), sum(output_tokens) "
        "FROM judge_calls GROUP BY d, judge, model")
    for name, body in TRIGGERS.items():
        conn.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")


def installed(conn: sqlite3.Connection) -> bool:
    return table_exists(conn, TABLE)
