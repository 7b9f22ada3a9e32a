"""Alert rows: raised once (by constraint), listed, acknowledged, delivered.

``alerts.dedupe_key`` is UNIQUE, so "once per threshold per period" is
enforced by the database: :func:`insert` returns None for a repeat.
"""

from __future__ import annotations

import math
import sqlite3

from evaltop.store.db import write

_COLUMNS = (
    "rowid AS id, kind, level, message, dedupe_key, ts, acknowledged, notified, notify_attempts,"
    " notify_error"
)


def insert(
    conn: sqlite3.Connection, kind: str, level: str, message: str, dedupe_key: str, ts: float
) -> int | None:
    """Store a new alert; the id, or None when ``dedupe_key`` already exists."""
    with write(conn):
        cur = conn.execute(
            "INSERT OR IGNORE INTO alerts (kind, level, message, dedupe_key, ts)"
            " VALUES (?, ?, ?, ?, ?)",
            (kind, level, message, dedupe_key, ts),
        )
        return cur.lastrowid if cur.rowcount == 1 else None


def get(conn: sqlite3.Connection, alert_id: int) -> dict | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM alerts WHERE rowid = ?", (alert_id,)).fetchone()
    return dict(row) if row else None


def list_alerts(
    conn: sqlite3.Connection,
    *,
    unacknowledged_first: bool = True,
    limit: int = 100,
    since: float | None = None,
    until: float | None = None,
) -> list[dict]:
    """Newest first (unacknowledged before acknowledged when asked)."""
    order = (
        "acknowledged ASC, ts DESC, rowid DESC" if unacknowledged_first else "ts DESC, rowid DESC"
    )
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM alerts WHERE ts >= ? AND ts <= ? ORDER BY {order} LIMIT ?",
        (-math.inf if since is None else since, math.inf if until is None else until, limit),
    ).fetchall()
    return [dict(r) for r in rows]


def acknowledge(conn: sqlite3.Connection, alert_id: int) -> bool:
    with write(conn):
        cur = conn.execute("UPDATE alerts SET acknowledged = 1 WHERE rowid = ?", (alert_id,))
        return cur.rowcount == 1


def undelivered(conn: sqlite3.Connection, limit: int) -> list[dict]:
    """Alerts not yet posted to the webhook: fewest attempts, then oldest, first
    (an alert the receiver keeps refusing does not block the others)."""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM alerts WHERE notified = 0"
        " ORDER BY notify_attempts, ts, rowid LIMIT ?",
        (limit,),
    ).fetchall()
    return [dict(r) for r in rows]


def mark_notified(conn: sqlite3.Connection, alert_id: int) -> None:
    with write(conn):
        conn.execute(
            "UPDATE alerts SET notified = 1, notify_attempts = notify_attempts + 1, "
            "notify_error = NULL WHERE rowid = ?",
            (alert_id,),
        )


def mark_notify_failed(conn: sqlite3.Connection, alert_id: int, error: str) -> None:
    with write(conn):
        conn.execute(
            "UPDATE alerts SET notify_attempts = notify_attempts + 1, notify_error = ?"
            " WHERE rowid = ?",
            (error, alert_id),
        )
