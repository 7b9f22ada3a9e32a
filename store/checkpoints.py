"""Tail checkpoints: one row per (source, file identity) with the byte offset
and line number of the first unconsumed byte. Written in the same transaction
as the rows read up to that offset."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass
class Checkpoint:
    source: str
    file_key: str  # "dev:ino:fingerprint"
    path: str
    offset: int = 0
    line_no: int = 0
    size: int = 0
    fingerprint: str = ""  # "N:hash of the first N bytes"
    finished: bool = False
    updated_at: float = 0.0


_COLS = "source, file_key, path, offset, line_no, size, fingerprint, finished, updated_at"


def load(conn: sqlite3.Connection, source: str) -> list[Checkpoint]:
    rows = conn.execute(
        f"SELECT {_COLS} FROM checkpoints WHERE source = ? ORDER BY updated_at, file_key", (source,)
    ).fetchall()
    return [
        Checkpoint(r[0], r[1], r[2], int(r[3]), int(r[4]), int(r[5]), r[6], bool(r[7]), float(r[8]))
        for r in rows
    ]


def save(conn: sqlite3.Connection, cp: Checkpoint, *, drop: Iterable[str] = ()) -> None:
    """Upsert ``cp`` and delete the rows keyed ``drop``: older keys of the same
    file (re-identified after a rotation, or its fingerprint grew), or rows
    of content its inode no longer holds."""
    for key in drop:
        if key != cp.file_key:
            conn.execute(
                "DELETE FROM checkpoints WHERE source = ? AND file_key = ?", (cp.source, key)
            )
    conn.execute(
        f"INSERT INTO checkpoints ({_COLS}) VALUES (?,?,?,?,?,?,?,?,?) "
        "ON CONFLICT(source, file_key) DO UPDATE SET path = excluded.path, "
        "offset = excluded.offset, line_no = excluded.line_no, size = excluded.size, "
        "fingerprint = excluded.fingerprint, finished = excluded.finished, "
        "updated_at = excluded.updated_at",
        (
            cp.source, cp.file_key, cp.path, cp.offset, cp.line_no, cp.size,
            cp.fingerprint, int(cp.finished), cp.updated_at,
        ),
    )


def stored_offset(conn: sqlite3.Connection, source: str, file_key: str) -> int | None:
    """The committed offset of one checkpoint row, None when there is none."""
    row = conn.execute(
        "SELECT offset FROM checkpoints WHERE source = ? AND file_key = ?", (source, file_key)
    ).fetchone()
    return None if row is None else int(row[0])
