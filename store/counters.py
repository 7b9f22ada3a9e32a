"""Monotonic counters (``counters`` table), bumped inside the caller's
write transaction so they always agree with the rows they count."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping

_ADD = (
    "INSERT INTO counters (name, value) VALUES (?, ?) "
    "ON CONFLICT(name) DO UPDATE SET value = value + excluded.value"
)


def add(conn: sqlite3.Connection, increments: Mapping[str, int]) -> None:
    """Add each non-zero increment to its counter (created at 0 if missing)."""
    rows = [(name, n) for name, n in increments.items() if n]
    if rows:
        conn.executemany(_ADD, rows)


def get(conn: sqlite3.Connection, name: str) -> int:
    row = conn.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
    return int(row[0]) if row else 0


def get_many(conn: sqlite3.Connection, names: Iterable[str]) -> dict[str, int]:
    return {name: get(conn, name) for name in names}


def sum_prefixed_range(conn: sqlite3.Connection, prefix: str, lo: int | None, hi: int) -> int:
    """Sum counters named ``prefix + str(k)`` for integer suffixes lo <= k <= hi
    (``lo`` None: no lower bound). Used for per-hour counters."""
    total = 0
    for name, value in conn.execute(
        "SELECT name, value FROM counters WHERE name >= ? AND name < ?", (prefix, prefix + "\uffff")
    ):
        suffix = name[len(prefix):]
        if not suffix.lstrip("-").isdigit():
            continue
        k = int(suffix)
        if (lo is None or k >= lo) and k <= hi:
            total += int(value)
    return total
