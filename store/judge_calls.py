"""``judge_calls`` rows: one per judge request series, billed or not.

status: ok | error | timeout | refused_budget | lost. ``cost_known = 0``
means the provider may have billed the call but no reply told us how much;
``cost_pusd`` then holds the reserved estimate, so judge spend matches the
budget ledger.
"""

from __future__ import annotations

import sqlite3
from dataclasses import astuple, dataclass, fields


@dataclass(frozen=True)
class JudgeCallRow:
    judge: str
    model: str
    output_id: str
    status: str
    attempts: int
    latency_ms: float | None
    input_tokens: int
    output_tokens: int
    usage_estimated: int
    cost_pusd: int
    cost_known: int
    reserved_pusd: int
    error: str | None
    run_id: str | None
    ts: float


_COLS = ", ".join(f.name for f in fields(JudgeCallRow))
_MARKS = ", ".join("?" for _ in fields(JudgeCallRow))


def insert(conn: sqlite3.Connection, row: JudgeCallRow) -> None:
    conn.execute(f"INSERT INTO judge_calls ({_COLS}) VALUES ({_MARKS})", astuple(row))


def totals_by_judge(conn: sqlite3.Connection, since: float | None, until: float) -> list[sqlite3.Row]:
    """Per judge in [since, until): calls (requests sent), budget refusals,
    errors, retries, tokens, cost, unknown-cost calls."""
    return conn.execute(
        """SELECT judge,
                  SUM(status != 'refused_budget') AS calls,
                  SUM(status = 'refused_budget') AS refused_budget,
                  SUM(status NOT IN ('ok', 'refused_budget')) AS errors,
                  SUM(MAX(attempts - 1, 0)) AS retries,
                  SUM(input_tokens) AS input_tokens,
                  SUM(output_tokens) AS output_tokens,
                  SUM(cost_pusd) AS cost_pusd,
                  SUM(cost_known = 0) AS unknown_cost_calls
           FROM judge_calls
           WHERE ts >= COALESCE(?, ts) AND ts < ?
           GROUP BY judge ORDER BY judge""",
        (since, until),
    ).fetchall()


def total_cost(conn: sqlite3.Connection, since: float | None, until: float) -> int:
    row = conn.execute(
        "SELECT COALESCE(SUM(cost_pusd), 0) FROM judge_calls WHERE ts >= COALESCE(?, ts) AND ts < ?",
        (since, until),
    ).fetchone()
    return int(row[0])


def failures(conn: sqlite3.Connection, judge: str, output_id: str, run_id: str | None) -> int:
    """Earlier call series for this pair that ended in a timeout or an error."""
    row = conn.execute(
        """SELECT COUNT(*) FROM judge_calls WHERE judge = ? AND output_id = ?
           AND COALESCE(run_id, '') = ? AND status IN ('timeout', 'error', 'lost')""",
        (judge, output_id, run_id or ""),
    ).fetchone()
    return int(row[0])


def for_output(conn: sqlite3.Connection, output_id: str) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT * FROM judge_calls WHERE output_id = ? ORDER BY rowid", (output_id,)
    ).fetchall()
