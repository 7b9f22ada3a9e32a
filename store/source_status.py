"""Paths of configured sources that could not be read (``source_status``).

The ingester replaces a source's rows when what it could not read changes;
the dashboard lists them. ``since`` is when a path was first found unreadable
in its current way. The table is created by schema step v16.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable


def replace(conn: sqlite3.Connection, sources: Iterable[str], problems: dict[tuple[str, str], str],
            now: float) -> None:
    """Make the rows of ``sources`` exactly ``problems`` ((source, path) -> reason);
    a path still unreadable for the same reason keeps its ``since``. The
    caller holds the write transaction."""
    names = list(sources)
    kept = {
        (r[0], r[1]): (r[2], r[3])
        for r in conn.execute("SELECT source, path, reason, since FROM source_status")
    }
    conn.executemany("DELETE FROM source_status WHERE source = ?", [(s,) for s in names])
    rows = []
    for (source, path), reason in problems.items():
        old = kept.get((source, path))
        since = old[1] if old is not None and old[0] == reason else now
        rows.append((source, path, reason, since))
    conn.executemany(
        "INSERT OR REPLACE INTO source_status (source, path, reason, since) VALUES (?, ?, ?, ?)",
        rows,
    )


def current(conn: sqlite3.Connection) -> list[dict]:
    """Every stored problem, oldest first; [] before schema v16."""
    try:
        rows = conn.execute(
            "SELECT source, path, reason, since FROM source_status ORDER BY since, source, path"
        ).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []
        raise
    return [{"source": r[0], "path": r[1], "reason": r[2], "since": r[3]} for r in rows]
