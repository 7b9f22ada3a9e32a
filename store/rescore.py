"""``evaltop score --rescore``: the outputs of a window with their sample,
the verdicts queued for judging again (``rescore_queue``), and the average
cost of a judge's past calls (for a dry run's estimate).

A queued (output, judge) pair keeps its verdict in ``scores`` (aggregates go
on using it) until the new one is final; ``scores.record`` then moves the old
one to ``score_history`` and takes the pair off the queue.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence


def window_rowids(conn: sqlite3.Connection, since: float | None, until: float) -> list[int]:
    """Rowids of outputs with ``since <= ts < until``, in rowid order."""
    return [r[0] for r in conn.execute(
        "SELECT rowid FROM outputs WHERE ts >= ? AND ts < ? ORDER BY rowid",
        (-1e18 if since is None else since, until))]


def outputs_with_sample(conn: sqlite3.Connection, rowids: Sequence[int]) -> list[sqlite3.Row]:
    """Full output rows (plus ``output_chars``) with their sample's
    ``s_probability`` and ``s_status`` (NULL when not sampled)."""
    marks = ",".join("?" * len(rowids))
    return conn.execute(
        f"""SELECT o.*, length(o.output_text) AS output_chars,
                   s.probability AS s_probability, s.status AS s_status
            FROM outputs o LEFT JOIN samples s ON s.output_id = o.id
            WHERE o.rowid IN ({marks}) ORDER BY o.rowid""", list(rowids)).fetchall()


def verdict_pairs(conn: sqlite3.Connection, ids: Sequence[str]) -> dict[tuple[str, str], bool]:
    """(output_id, judge) -> already queued, for every pair with a verdict."""
    marks = ",".join("?" * len(ids))
    return {(r[0], r[1]): bool(r[2]) for r in conn.execute(
        f"""SELECT s.output_id, s.judge, q.output_id IS NOT NULL FROM scores s
            LEFT JOIN rescore_queue q ON q.output_id = s.output_id AND q.judge = s.judge
            WHERE s.output_id IN ({marks})""", list(ids))}


def queue(conn: sqlite3.Connection, pairs: Iterable[tuple[str, str]], now: float) -> int:
    """Queue (output_id, judge) pairs for judging again; pairs added."""
    before = conn.total_changes
    conn.executemany(
        "INSERT OR IGNORE INTO rescore_queue (output_id, judge, requested_at) VALUES (?, ?, ?)",
        [(o, j, now) for o, j in pairs])
    return conn.total_changes - before


def set_pending(conn: sqlite3.Connection, output_ids: Sequence[str]) -> int:
    """Put done samples back in the judge runner's queue."""
    before = conn.total_changes
    conn.executemany("UPDATE samples SET status = 'pending' WHERE output_id = ? "
                     "AND status != 'pending'", [(i,) for i in output_ids])
    return conn.total_changes - before


def queued(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT COUNT(*) FROM rescore_queue").fetchone()[0]


def average_call_cost(conn: sqlite3.Connection) -> dict[str, int]:
    """Per judge: the mean cost in picodollars of its answered live calls."""
    return {r[0]: int(round(r[1])) for r in conn.execute(
        """SELECT judge, AVG(cost_pusd) FROM judge_calls
           WHERE status = 'ok' AND run_id IS NULL AND cost_known = 1 GROUP BY judge""")}
