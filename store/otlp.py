"""The OTLP receiver's tables: conversation content reported by log records
(``otlp_content``), the receiver's own status row (``receiver_status``), and
the filling of an output's text from that content."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

_CONTENT_COLS = "output_id, side, seq, role, text, finish_reason, received_at"


def add_content(conn: sqlite3.Connection, rows: Iterable[tuple]) -> None:
    """``(output_id, side, seq, role, text, finish_reason, received_at)``;
    a row already stored (an exporter's retry) is left as it is."""
    conn.executemany(
        f"INSERT OR IGNORE INTO otlp_content ({_CONTENT_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def content_for(conn: sqlite3.Connection, ids: Sequence[str]) -> dict[str, list[tuple]]:
    """Stored content per output id: ``(side, seq, role, text, finish_reason)``
    in order."""
    out: dict[str, list[tuple]] = {}
    for i in range(0, len(ids), 500):
        chunk = list(ids[i:i + 500])
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(
            f"SELECT output_id, side, seq, role, text, finish_reason FROM otlp_content "
            f"WHERE output_id IN ({marks}) ORDER BY output_id, side, seq",
            chunk,
        ):
            out.setdefault(row[0], []).append(tuple(row[1:]))
    return out


def output_texts(conn: sqlite3.Connection, ids: Sequence[str]) -> dict[str, tuple[str, str]]:
    """``id -> (input_text, output_text)`` of stored outputs."""
    out: dict[str, tuple[str, str]] = {}
    for i in range(0, len(ids), 500):
        chunk = list(ids[i:i + 500])
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(
            f"SELECT id, input_text, output_text FROM outputs WHERE id IN ({marks})", chunk
        ):
            out[row[0]] = (row[1], row[2])
    return out


def set_input(conn: sqlite3.Connection, rows: Iterable[tuple[str, str, str, str]]) -> None:
    """``(input_text, input_json, input_hash, id)``."""
    conn.executemany(
        "UPDATE outputs SET input_text = ?, input_json = ?, input_hash = ? WHERE id = ?", rows
    )


def set_output(conn: sqlite3.Connection, rows: Iterable[tuple[str, str | None, str]]) -> None:
    """``(output_text, finish_reason, id)``; a stored finish reason is kept."""
    conn.executemany(
        "UPDATE outputs SET output_text = ?, finish_reason = COALESCE(finish_reason, ?) "
        "WHERE id = ?",
        rows,
    )


def prune_content(conn: sqlite3.Connection, before: float) -> int:
    """Forget content received before ``before`` (its call is stored or
    never came). Returns rows deleted."""
    return conn.execute("DELETE FROM otlp_content WHERE received_at < ?", (before,)).rowcount


def heartbeat(conn: sqlite3.Connection, url: str, pid: int, started_at: float,
              now: float) -> None:
    conn.execute(
        "INSERT INTO receiver_status (url, pid, started_at, heartbeat_at, stopped_at) "
        "VALUES (?, ?, ?, ?, NULL) ON CONFLICT(url) DO UPDATE SET pid = excluded.pid, "
        "started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at, "
        "stopped_at = NULL",
        (url, pid, started_at, now),
    )


def stopped(conn: sqlite3.Connection, url: str, now: float) -> None:
    conn.execute("UPDATE receiver_status SET stopped_at = ? WHERE url = ?", (now, url))


def statuses(conn: sqlite3.Connection) -> list[dict]:
    return [dict(r) for r in conn.execute(
        "SELECT url, pid, started_at, heartbeat_at, stopped_at FROM receiver_status "
        "ORDER BY heartbeat_at DESC"
    )]


def calls_for(conn: sqlite3.Connection, response_ids: Sequence[str]) -> dict[str, str]:
    """``response id -> output id`` of calls already stored."""
    out: dict[str, str] = {}
    for i in range(0, len(response_ids), 500):
        chunk = list(response_ids[i:i + 500])
        marks = ",".join("?" * len(chunk))
        out.update(conn.execute(
            f"SELECT response_id, output_id FROM otlp_calls WHERE response_id IN ({marks})",
            chunk,
        ).fetchall())
    return out


def add_calls(conn: sqlite3.Connection, rows: Iterable[tuple[str, str]]) -> None:
    """``(response_id, output_id)``; the first output of a response id stays."""
    conn.executemany(
        "INSERT OR IGNORE INTO otlp_calls (response_id, output_id) VALUES (?, ?)", rows
    )
