"""Budget ledger rows: reservations before a paid call, settled after.

Plain SQL over a connection; callers own the transaction (``db.write``).
States: ``reserved`` (worst case held), ``settled`` (real or, after a crash,
estimated cost), ``released`` (nothing spent), ``refused`` (one row per kind
and UTC day remembering the last request that did not fit; never counted).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

COUNTED = ("reserved", "settled")
REFUSED_REF = "budget-refused"


@dataclass(frozen=True)
class LedgerRow:
    rowid: int
    kind: str
    ref: str
    owner: str
    state: str
    amount_pusd: int
    day: str
    month: str
    created_at: float
    sent_at: float | None
    meta_json: str | None


def _row(r: sqlite3.Row) -> LedgerRow:
    return LedgerRow(r["rowid"], r["kind"], r["ref"], r["owner"], r["state"], r["amount_pusd"],
                     r["day"], r["month"], r["created_at"], r["sent_at"], r["meta_json"])


def period_totals(conn: sqlite3.Connection, kind: str, day: str, month: str) -> dict[str, int]:
    """Settled and reserved picodollars for the UTC day and month, from the
    trigger-kept ``ledger_daily`` (schema v14): at most 31 rows per state."""
    return _totals(conn, "ledger_daily", kind, day, month)


def period_totals_scan(conn: sqlite3.Connection, kind: str, day: str, month: str) -> dict[str, int]:
    """The same totals summed from every ledger row (tests prove they agree)."""
    return _totals(conn, "ledger", kind, day, month)


def _totals(
    conn: sqlite3.Connection, table: str, kind: str, day: str, month: str
) -> dict[str, int]:
    assert table in ("ledger", "ledger_daily")  # a fixed name, never user input
    row = conn.execute(
        f"""SELECT
             COALESCE(SUM(CASE WHEN day = ? AND state = 'settled' THEN amount_pusd END), 0),
             COALESCE(SUM(CASE WHEN day = ? AND state = 'reserved' THEN amount_pusd END), 0),
             COALESCE(SUM(CASE WHEN state = 'settled' THEN amount_pusd END), 0),
             COALESCE(SUM(CASE WHEN state = 'reserved' THEN amount_pusd END), 0)
           FROM {table} WHERE kind = ? AND month = ? AND state IN ('reserved', 'settled')""",
        (day, day, kind, month),
    ).fetchone()
    return {"day_settled": row[0], "day_reserved": row[1],
            "month_settled": row[2], "month_reserved": row[3]}


def insert_reservation(conn: sqlite3.Connection, *, kind: str, ref: str, owner: str,
                       amount_pusd: int, day: str, month: str, now: float,
                       sent: bool, meta_json: str | None) -> int:
    cur = conn.execute(
        """INSERT INTO ledger (kind, ref, owner, state, amount_pusd, day, month,
                               created_at, sent_at, meta_json)
           VALUES (?, ?, ?, 'reserved', ?, ?, ?, ?, ?, ?)""",
        (kind, ref, owner, amount_pusd, day, month, now, now if sent else None, meta_json),
    )
    return int(cur.lastrowid)


def get(conn: sqlite3.Connection, rowid: int) -> LedgerRow | None:
    r = conn.execute("SELECT * FROM ledger WHERE rowid = ?", (rowid,)).fetchone()
    return _row(r) if r else None


def active_claim(conn: sqlite3.Connection, kind: str, ref: str) -> bool:
    """True when a reservation for ``ref`` is held right now."""
    return conn.execute(
        "SELECT 1 FROM ledger WHERE kind = ? AND ref = ? AND state = 'reserved' LIMIT 1",
        (kind, ref),
    ).fetchone() is not None


def mark_sent(conn: sqlite3.Connection, rowid: int, now: float) -> None:
    conn.execute(
        "UPDATE ledger SET sent_at = COALESCE(sent_at, ?) WHERE rowid = ? AND state = 'reserved'",
        (now, rowid),
    )


def add_amount(conn: sqlite3.Connection, rowid: int, extra_pusd: int) -> None:
    conn.execute(
        "UPDATE ledger SET amount_pusd = amount_pusd + ? WHERE rowid = ? AND state = 'reserved'",
        (extra_pusd, rowid),
    )


def finish(
    conn: sqlite3.Connection, rowid: int, *, state: str, amount_pusd: int, now: float
) -> bool:
    """Move a reserved row to ``settled`` or ``released``; False if it was not reserved."""
    cur = conn.execute(
        "UPDATE ledger SET state = ?, amount_pusd = ?, settled_at = ?"
        " WHERE rowid = ? AND state = 'reserved'",
        (state, amount_pusd, now, rowid),
    )
    return cur.rowcount == 1


def stale_reservations(conn: sqlite3.Connection, *, kind: str | None, owner: str | None,
                       created_before: float) -> list[LedgerRow]:
    sql = "SELECT * FROM ledger WHERE state = 'reserved' AND created_at <= ?"
    args: list = [created_before]
    if kind is not None:
        sql += " AND kind = ?"
        args.append(kind)
    if owner is not None:
        sql += " AND owner = ?"
        args.append(owner)
    return [_row(r) for r in conn.execute(sql + " ORDER BY rowid", args)]


def note_refusal(conn: sqlite3.Connection, *, kind: str, amount_pusd: int, day: str,
                 month: str, now: float) -> None:
    """Remember the last request the budget refused (one row per kind and day)."""
    cur = conn.execute(
        "UPDATE ledger SET amount_pusd = ?, created_at = ?"
        " WHERE kind = ? AND day = ? AND state = 'refused'",
        (amount_pusd, now, kind, day),
    )
    if cur.rowcount == 0:
        conn.execute(
            """INSERT INTO ledger (kind, ref, owner, state, amount_pusd, day, month, created_at)
               VALUES (?, ?, '', 'refused', ?, ?, ?, ?)""",
            (kind, REFUSED_REF, amount_pusd, day, month, now),
        )


def last_refusal(conn: sqlite3.Connection, kind: str, month: str) -> tuple[str, int, float] | None:
    """(day, amount, ts) of the latest refusal in the month, or None."""
    r = conn.execute(
        """SELECT day, amount_pusd, created_at FROM ledger
           WHERE kind = ? AND month = ? AND state = 'refused' ORDER BY created_at DESC LIMIT 1""",
        (kind, month),
    ).fetchone()
    return (r[0], r[1], r[2]) if r else None
