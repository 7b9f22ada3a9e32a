"""``scores`` rows, the pending-sample work queue the judge runner reads, and
the dashboard's pass counts (per judge, per time bucket) over a window.

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


def pending_outputs(conn: sqlite3.Connection, limit: int | None,
                    after: tuple[float, str] | None = None) -> list[sqlite3.Row]:
    """Outputs whose sample is pending, oldest first; with ``after`` (the
    ``(output_ts, output_id)`` of the last one a caller saw), only later ones,
    so a caller going through the backlog in pages sees each sample once."""
    ts, oid = after if after is not None else (-1e18, "")
    return conn.execute(
        """SELECT o.*, s.output_ts AS sample_ts FROM samples s JOIN outputs o ON o.id = s.output_id
           WHERE s.status = 'pending' AND (s.output_ts, s.output_id) > (?, ?)
           ORDER BY s.output_ts, s.output_id LIMIT ?""",
        (ts, oid, -1 if limit is None else limit),
    ).fetchall()


def record(conn: sqlite3.Connection, rows: Iterable[ScoreRow], now: float) -> int:
    """Store final verdicts, inside the caller's write transaction. A pair
    queued for re-judging (``rescore_queue``) has its verdict replaced: the old
    row moves to ``score_history`` (DELETE + INSERT, so the rollup triggers
    take the old verdict out and put the new one in) and the pair leaves the
    queue. Any other pair keeps its first verdict (INSERT OR IGNORE)."""
    rows = list(rows)
    stale = stale_pairs(conn, sorted({r.output_id for r in rows}))
    for r in rows:
        if (r.output_id, r.judge) not in stale:
            continue
        conn.execute(
            f"""INSERT INTO score_history ({_COLS}, replaced_at)
                SELECT {_COLS}, ? FROM scores WHERE output_id = ? AND judge = ?""",
            (now, r.output_id, r.judge))
        conn.execute("DELETE FROM scores WHERE output_id = ? AND judge = ?",
                     (r.output_id, r.judge))
        conn.execute("DELETE FROM rescore_queue WHERE output_id = ? AND judge = ?",
                     (r.output_id, r.judge))
    return insert(conn, rows)


def stale_pairs(conn: sqlite3.Connection, output_ids: Sequence[str]) -> set[tuple[str, str]]:
    """(output_id, judge) pairs queued for re-judging."""
    out: set[tuple[str, str]] = set()
    for chunk in _chunks(list(output_ids)):
        marks = ",".join("?" for _ in chunk)
        out.update((r[0], r[1]) for r in conn.execute(
            f"SELECT output_id, judge FROM rescore_queue WHERE output_id IN ({marks})", chunk))
    return out


def history(conn: sqlite3.Connection, output_id: str) -> list[dict]:
    """Verdicts a re-judging replaced, newest first."""
    return [dict(r) for r in conn.execute(
        "SELECT * FROM score_history WHERE output_id = ? ORDER BY replaced_at DESC, rowid DESC",
        (output_id,))]


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
    """The pair has a verdict that is not queued for re-judging."""
    return conn.execute(
        """SELECT 1 FROM scores WHERE output_id = ? AND judge = ? AND NOT EXISTS
           (SELECT 1 FROM rescore_queue q WHERE q.output_id = ? AND q.judge = ?)""",
        (output_id, judge, output_id, judge)).fetchone() is not None


def mark_done(conn: sqlite3.Connection, output_ids: Sequence[str]) -> int:
    before = conn.total_changes
    conn.executemany(
        "UPDATE samples SET status = 'done' WHERE output_id = ? AND status = 'pending'",
        [(i,) for i in output_ids],
    )
    return conn.total_changes - before


def same_family_by_judge(
    conn: sqlite3.Connection, since: float | None, until: float
) -> dict[str, int]:
    """Outputs per judge whose generator shares the judge's model family."""
    rows = conn.execute(
        """SELECT judge, COUNT(*) FROM scores
           WHERE same_family = 1 AND output_ts >= COALESCE(?, output_ts) AND output_ts < ?
           GROUP BY judge""",
        (since, until),
    )
    return {r[0]: r[1] for r in rows}


def judge_pass_counts(conn: sqlite3.Connection, since: float | None, until: float) -> list[dict]:
    """Per judge: verdicts, passes, errors over outputs in the window."""
    rows = conn.execute(
        """SELECT judge, kind, count(*) AS n, coalesce(sum(passed = 1),0) AS passed,
                  coalesce(sum(passed = 0),0) AS failed,
                  coalesce(sum(status = 'error'),0) AS errors,
                  avg(score) AS mean_score
           FROM scores WHERE output_ts >= ? AND output_ts < ?
           GROUP BY judge, kind ORDER BY judge""",
        (-1e18 if since is None else since, until),
    ).fetchall()
    return [dict(r) for r in rows]


def judged_outputs(conn: sqlite3.Connection, since: float | None, until: float) -> int:
    return conn.execute(
        "SELECT count(*) FROM samples WHERE status = 'done' AND output_ts >= ? AND output_ts < ?",
        (-1e18 if since is None else since, until),
    ).fetchone()[0]


def judges_in(conn: sqlite3.Connection, since: float, until: float) -> list[str]:
    """Judges with a verdict on an output in the window: a skip-scan over the
    (judge, output_ts) index, one probe per judge, never a table scan."""
    judges = [r[0] for r in conn.execute(
        """WITH RECURSIVE j(name) AS (
               SELECT min(judge) FROM scores
               UNION ALL
               SELECT (SELECT min(judge) FROM scores WHERE judge > j.name) FROM j
               WHERE j.name IS NOT NULL)
           SELECT name FROM j WHERE name IS NOT NULL""").fetchall()]
    return [j for j in judges if conn.execute(
        "SELECT 1 FROM scores WHERE judge = ? AND output_ts >= ? AND output_ts < ? LIMIT 1",
        (j, since, until)).fetchone()]


_TREND_BY = {"model": "o.model", "task": "o.task"}


def pass_buckets(
    conn: sqlite3.Connection, since: float, until: float, bucket_s: int, by: str = "judge"
) -> list[dict]:
    """Pass counts per (series, time bucket); ``by`` is judge, model or task.
    Per judge, each judge is one range over the (judge, output_ts) index."""
    if by == "judge":
        out: list[dict] = []
        for judge in judges_in(conn, since, until):
            out += [dict(r) for r in conn.execute(
                """SELECT judge AS series, CAST(output_ts / ? AS INTEGER) * ? AS bucket,
                          count(*) AS n, sum(passed = 1) AS passed
                   FROM scores
                   WHERE judge = ? AND output_ts >= ? AND output_ts < ? AND status = 'ok'
                   GROUP BY bucket ORDER BY bucket""",
                (bucket_s, bucket_s, judge, since, until)).fetchall()]
        return out
    expr = _TREND_BY[by]
    rows = conn.execute(
        f"""SELECT {expr} AS series, CAST(s.output_ts / ? AS INTEGER) * ? AS bucket,
                   count(*) AS n, sum(s.passed = 1) AS passed
            FROM scores s JOIN outputs o ON o.id = s.output_id
            WHERE s.output_ts >= ? AND s.output_ts < ? AND s.status = 'ok'
            GROUP BY series, bucket ORDER BY series, bucket""",
        (bucket_s, bucket_s, since, until),
    ).fetchall()
    return [dict(r) for r in rows]
