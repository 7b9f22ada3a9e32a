"""Sampling decisions (``samples``) and the marks that say what was evaluated.

Two high-water marks live in ``counters``: the last ``outputs.rowid`` whose
sampling decision was made, and the last ``feedback.rowid`` checked for late
user corrections. Callers update marks in the same transaction as the rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

OUTPUT_MARK = "sampling.rowid"
FEEDBACK_MARK = "sampling.feedback_rowid"

_FIRST_SEEN_COLUMNS = ("model", "prompt_version", "variant")

OUTPUT_COLUMNS = (
    "rowid, id, ts, model, prompt_version, variant, confidence, error, finish_reason, "
    "tags_json, metadata_json, length(output_text) AS output_chars"
)


def get_mark(conn: sqlite3.Connection, name: str) -> int:
    row = conn.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
    return int(row[0]) if row else 0


def set_mark(conn: sqlite3.Connection, name: str, value: int) -> None:
    conn.execute(
        "INSERT INTO counters (name, value) VALUES (?, ?) "
        "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
        (name, int(value)),
    )


def outputs_after(conn: sqlite3.Connection, rowid: int, limit: int) -> list[sqlite3.Row]:
    """The next ``limit`` outputs after ``rowid`` (only the columns sampling needs)."""
    return conn.execute(
        f"SELECT {OUTPUT_COLUMNS} FROM outputs WHERE rowid > ? ORDER BY rowid LIMIT ?",
        (rowid, limit),
    ).fetchall()


def outputs_by_ids(
    conn: sqlite3.Connection, ids: Sequence[str], max_rowid: int
) -> list[sqlite3.Row]:
    """Outputs with these ids already covered by the output mark."""
    out: list[sqlite3.Row] = []
    for chunk in _chunks(list(ids), 500):
        marks = ",".join("?" * len(chunk))
        out += conn.execute(
            f"SELECT {OUTPUT_COLUMNS} FROM outputs WHERE id IN ({marks}) AND rowid <= ?",
            (*chunk, max_rowid),
        ).fetchall()
    return out


def first_seen(conn: sqlite3.Connection, column: str, value: str) -> float | None:
    """Earliest output ts with ``column = value`` (indexed look-up)."""
    if column not in _FIRST_SEEN_COLUMNS:
        raise ValueError(f"first_seen: column must be one of {_FIRST_SEEN_COLUMNS}, got {column!r}")
    row = conn.execute(f"SELECT MIN(ts) FROM outputs WHERE {column} = ?", (value,)).fetchone()
    return row[0]


def feedback_for(
    conn: sqlite3.Connection, output_ids: Sequence[str], names: Sequence[str]
) -> list[sqlite3.Row]:
    """Feedback events named ``names`` about these outputs, oldest first."""
    if not names or not output_ids:
        return []
    out: list[sqlite3.Row] = []
    name_marks = ",".join("?" * len(names))
    for chunk in _chunks(list(output_ids), 500):
        marks = ",".join("?" * len(chunk))
        out += conn.execute(
            f"SELECT rowid, output_id, name, value_num, value_text FROM feedback "
            f"WHERE output_id IN ({marks}) AND name IN ({name_marks}) ORDER BY rowid",
            (*chunk, *names),
        ).fetchall()
    return out


def max_feedback_rowid(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT COALESCE(MAX(rowid), 0) FROM feedback").fetchone()[0]


def feedback_between(
    conn: sqlite3.Connection, after: int, through: int, names: Sequence[str]
) -> list[sqlite3.Row]:
    """Feedback named ``names`` with ``after < rowid <= through``, oldest first."""
    if not names:
        return []
    name_marks = ",".join("?" * len(names))
    return conn.execute(
        f"SELECT rowid, output_id, name, value_num, value_text FROM feedback "
        f"WHERE rowid > ? AND rowid <= ? AND name IN ({name_marks}) ORDER BY rowid",
        (after, through, *names),
    ).fetchall()


def insert_samples(conn: sqlite3.Connection, rows: Iterable[tuple]) -> int:
    """INSERT OR IGNORE (output_id, strata, probability, sampled_at, output_ts); rows added."""
    before = conn.total_changes
    conn.executemany(
        "INSERT OR IGNORE INTO samples"
        " (output_id, strata, probability, status, sampled_at, output_ts)"
        " VALUES (?, ?, ?, 'pending', ?, ?)",
        rows,
    )
    return conn.total_changes - before


def raise_probability(
    conn: sqlite3.Connection, output_id: str, probability: float, strata: str
) -> bool:
    """Raise a sample's inclusion probability (never lowers it); True if changed."""
    cur = conn.execute(
        "UPDATE samples SET probability = ?, strata = ? WHERE output_id = ? AND probability < ?",
        (probability, strata, output_id, probability),
    )
    return cur.rowcount > 0


def get_sample(conn: sqlite3.Connection, output_id: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM samples WHERE output_id = ?", (output_id,)).fetchone()


def count_pending(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT COUNT(*) FROM samples WHERE status = 'pending'").fetchone()[0]


def _chunks(items: list, size: int) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
