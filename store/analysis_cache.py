"""Materialised analysis results (``analysis_cache``).

An ``analysis_cache`` row is one computation: its key (what was computed,
with which settings), the ``now`` it was computed for, when it was written,
an input watermark (highest score rowid then) and the result as JSON. The
dashboard reads one row instead of recomputing; the report never does. The
table is created by schema step v13.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

import orjson


@dataclass(frozen=True)
class Cached:
    """One stored computation: ``payload`` as it was computed for ``now``."""

    key: str
    now: float
    computed_at: float
    watermark: int
    payload: Any


def put(
    conn: sqlite3.Connection, key: str, now: float, computed_at: float, watermark: int, payload: Any
) -> None:
    """Store (or replace) a result; the caller holds the write transaction.
    A result for an earlier ``now`` than the stored one is not kept (a slow
    dashboard miss must not replace the engine's newer run)."""
    conn.execute(
        "INSERT INTO analysis_cache (key, now, computed_at, watermark, payload_json) "
        "VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT(key) DO UPDATE SET now = excluded.now, computed_at = excluded.computed_at, "
        "watermark = excluded.watermark, payload_json = excluded.payload_json "
        "WHERE excluded.now >= analysis_cache.now",
        (key, now, computed_at, int(watermark), orjson.dumps(payload).decode()),
    )


def get(conn: sqlite3.Connection, key: str) -> Cached | None:
    """The stored result for ``key``, or None (none yet, or an older schema)."""
    try:
        row = conn.execute(
            "SELECT key, now, computed_at, watermark, payload_json FROM analysis_cache"
            " WHERE key = ?",
            (key,),
        ).fetchone()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return None
        raise
    if row is None:
        return None
    return Cached(row[0], row[1], row[2], row[3], orjson.loads(row[4]))


def stamp(conn: sqlite3.Connection, key: str) -> tuple[float, float] | None:
    """(now, computed_at) of the stored result for ``key``, without reading
    its payload: enough for a reader to tell that a result it already parsed
    is still the stored one."""
    try:
        row = conn.execute(
            "SELECT now, computed_at FROM analysis_cache WHERE key = ?", (key,)
        ).fetchone()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return None
        raise
    return None if row is None else (row[0], row[1])


def score_watermark(conn: sqlite3.Connection) -> int:
    """The highest scores rowid: how far the inputs went when a result was computed."""
    return int(conn.execute("SELECT COALESCE(MAX(rowid), 0) FROM scores").fetchone()[0])
