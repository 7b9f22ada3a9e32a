"""Human review labels (``labels``) and the review queue.

One label per output (a later label replaces the earlier one). The queue is
the sampled outputs without a label, oldest output first, keyset-paged on
``(output_ts, output_id)`` so a page costs the same at any depth.
"""

from __future__ import annotations

import sqlite3
import time

from evaltop.store.db import write

LABELS = ("pass", "fail")


def set_label(conn: sqlite3.Connection, output_id: str, label: str, score: float | None = None,
              reviewer: str = "", note: str | None = None, *, now: float | None = None) -> None:
    """Record (or replace) a human pass/fail label for an output."""
    if label not in LABELS:
        raise ValueError(f"label must be 'pass' or 'fail', got {label!r}")
    if not output_id:
        raise ValueError("label: output_id is empty")
    if score is not None and not isinstance(score, int | float):
        raise ValueError(f"label score must be a number, got {score!r}")
    ts = time.time() if now is None else now
    with write(conn):
        conn.execute(
            "INSERT INTO labels (output_id, label, score, reviewer, note, ts) "
            "VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(output_id) DO UPDATE SET label = excluded.label, score = excluded.score, "
            "reviewer = excluded.reviewer, note = excluded.note, ts = excluded.ts",
            (output_id, label, None if score is None else float(score), reviewer, note, ts),
        )


def get_label(conn: sqlite3.Connection, output_id: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM labels WHERE output_id = ?", (output_id,)).fetchone()


def delete_label(conn: sqlite3.Connection, output_id: str) -> bool:
    with write(conn):
        return conn.execute("DELETE FROM labels WHERE output_id = ?", (output_id,)).rowcount > 0


def review_queue(conn: sqlite3.Connection, *, after: tuple[float, str] | None = None,
                 limit: int = 50) -> list[sqlite3.Row]:
    """Sampled outputs without a label, oldest first; pass the last row's
    ``(output_ts, output_id)`` as ``after`` for the next page. Every sample
    counts, whatever its judging status: one no judge graded needs a human
    verdict most, and :func:`count_unlabeled` (the queue's total) counts all."""
    ts, oid = after if after is not None else (-1e18, "")
    return conn.execute(
        """
        SELECT s.output_id, s.output_ts, s.strata, s.probability, s.status,
               o.model, o.task, o.prompt_version, o.variant, o.input_text, o.output_text
        FROM samples s
        JOIN outputs o ON o.id = s.output_id
        LEFT JOIN labels l ON l.output_id = s.output_id
        WHERE l.output_id IS NULL AND (s.output_ts > ? OR (s.output_ts = ? AND s.output_id > ?))
        ORDER BY s.output_ts, s.output_id
        LIMIT ?
        """,
        (ts, ts, oid, int(limit)),
    ).fetchall()


def count_unlabeled(conn: sqlite3.Connection) -> int:
    """Sampled outputs without a label: all samples less the labelled ones,
    counted from the (few, human-made) labels rather than joined per sample."""
    return conn.execute(
        "SELECT (SELECT COUNT(*) FROM samples) - (SELECT COUNT(*) FROM labels l "
        "WHERE EXISTS (SELECT 1 FROM samples s WHERE s.output_id = l.output_id))"
    ).fetchone()[0]


def count_labels(conn: sqlite3.Connection) -> dict[str, int]:
    rows = conn.execute("SELECT label, COUNT(*) FROM labels GROUP BY label").fetchall()
    return {r[0]: r[1] for r in rows}
