"""Shared pieces of the trigger-kept rollups (score_rollups, judge_call_rollups):
exact time buckets, signed upserts and the insert/update/delete trigger trio."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence


def floor_div(ts: str, unit: int) -> str:
    """SQL for the exact floor(ts / unit): a quotient rounded up onto a bucket
    boundary for a ts just below it is corrected, so bucket b holds exactly
    ``b * unit <= ts < (b + 1) * unit`` (as the window scans compare)."""
    q = f"CAST({ts} / {unit} AS INTEGER)"
    return f"({q} - ({q} * {unit} > {ts}))"


def on_conflict_add(key: Sequence[str], sums: Sequence[str]) -> str:
    """The upsert tail that adds a row's (signed) sums into the existing one."""
    return (f" ON CONFLICT({', '.join(key)}) DO UPDATE SET "
            + ", ".join(f"{c} = {c} + excluded.{c}" for c in sums) + ";")


def row_triggers(prefix: str, table: str, columns: str, upsert: Callable[[str, str], str]) -> dict[str, str]:
    """Trigger bodies keeping a rollup of ``table``: ``upsert(row, sign)`` adds
    NEW with "+" or takes OLD out with "-"; updates of ``columns`` do both."""
    return {
        f"{prefix}_ins": f"AFTER INSERT ON {table} BEGIN {upsert('NEW', '+')} END",
        f"{prefix}_upd": f"AFTER UPDATE OF {columns} ON {table} BEGIN {upsert('OLD', '-')} {upsert('NEW', '+')} END",
        f"{prefix}_del": f"AFTER DELETE ON {table} BEGIN {upsert('OLD', '-')} END",
    }


def table_exists(conn: sqlite3.Connection, name: str) -> bool:
    """A rollup table exists (a read-only watcher may open an older database)."""
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                        (name,)).fetchone() is not None
