"""Daily judge spend: calls, cost and tokens per (UTC day, judge, model) in
``judge_spend_daily``, kept by triggers on ``judge_calls`` (schema step v9)."""

from __future__ import annotations

import sqlite3

from evaltop.store.db import table_exists

DAY = 86400
TABLE = "judge_spend_daily"


def installed(conn: sqlite3.Connection) -> bool:
    return table_exists(conn, TABLE)
