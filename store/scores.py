"""``scores`` rows and the pending-sample work queue the judge runner reads.

status: ok | error | skipped. ``skipped`` means the judge deliberately did
not grade the output (``require_different_family``): passed and score are
NULL and it counts neither as judged nor as an error.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass, fields


@dataclass(frozen=True)
class ScoreRow:
    output_id: str
    judge: str
    kind: str
    status: str
    score: float | None
    passed: int | None
    reason: str | None
    error: str | None
    same_family: int
    output_ts: float
    created_at: float


_COLS = ", ".join(f.name for f in fields(ScoreRow))
_MARKS = ", ".join("?" for _ in fields(ScoreRow))


def insert(conn: sqlite3.Connection, rows: Iterable[ScoreRow]) -> int:
    """INSERT OR IGNORE: a (output, judge) pair keeps its first verdict."""
    before = conn.total_changes
    conn.executemany(f"INSERT OR IGNORE INTO scores ({_COLS}) VALUES ({_MARKS})",
                     [astuple(r) for r in rows])
    return conn.total_changes - before


def pending_outputs(conn: sqlite3.Connection, limit: int | None) -> list[sqlite3.Row]:
    """Outputs whose sample is pending, oldest first."""
    return conn.execute(
        """SELECT o.* FROM samples s JOIN outputs o ON o.id = s.output_id
           WHERE s.status = 'pending' ORDER BY s.output_ts, s.output_id LIMIT ?""",
        (-1 if limit is None else limit,),
    ).fetchall()


def _chunks(items: Sequence[str], size: int = 500) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def judged_pairs(conn: sqlite3.Connection, output_ids: Sequence[str]) -> set[tuple[str, str]]:
    """(output_id, judge) pairs that already have a score row."""
    out: set[tuple[str, str]] = set()
    for chunk in _chunks(list(output_ids)):
        marks = ",".join("?" for _ in chunk)
        out.update((r[0], r[1]) for r in conn.execute(
            f"SELECT output_id, judge FROM scores WHERE output_id IN ({marks})", chunk))
    return out


def has_score(conn: sqlite3.Connection, output_id: str, judge: str) -> bool:
    return conn.execute("SELECT 1 FROM scores WHERE output_id = ? AND judge = ?",
                        (output_id, judge)).fetchone() is not None


def mark_done(conn: sqlite3.Connection, output_ids: Sequence[str]) -> int:
    before = conn.total_changes
    conn.executemany("UPDATE samples SET status = 'done' WHERE output_id = ? AND status = 'pending'",
                     [(i,) for i in output_ids])
    return conn.total_changes - before


def same_family_by_judge(conn: sqlite3.Connection, since: float | None, until: float) -> dict[str, int]:
    """Outputs per judge whose generator shares the judge's model family."""
    rows = conn.execute(
        """SELECT judge, COUNT(*) FROM scores
           WHERE same_family = 1 AND output_ts >= COALESCE(?, output_ts) AND output_ts < ?
           GROUP BY judge""",
        (since, until),
    )
    return {r[0]: r[1] for r in rows}
