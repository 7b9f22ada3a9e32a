"""Candidate runs (`evaltop replay`, shadow mode): runs, run_cases, run_scores.

A case moves ``claimed`` -> ``ok`` | ``error``. A claim names its owner so a
second process never calls the candidate for a case someone else holds, and a
resumed run can tell a dead holder's claim (take it over, counting the call it
may have had billed as a lost call) from a live one (leave it alone).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from evaltop.store.db import write


@dataclass(frozen=True)
class CaseResult:
    status: str  # ok | error
    output_text: str | None
    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0
    reasoning_tokens: int = 0
    usage_estimated: bool = False
    cost_pusd: int | None = None
    latency_ms: float | None = None
    error: str | None = None
    attempts: int = 1
    unconfirmed_attempts: int = 0  # sent, then cut off: may have been billed
    unconfirmed_pusd: int = 0  # one worst-case estimate per such attempt


def ensure_run(conn: sqlite3.Connection, run_id: str, candidate: str, model: str,
               corpus: str, now: float) -> sqlite3.Row:
    """Create the run if new; return its row (existing rows are not changed)."""
    with write(conn):
        conn.execute(
            "INSERT OR IGNORE INTO runs (run_id, candidate, model, corpus, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (run_id, candidate, model, corpus, now),
        )
    return get_run(conn, run_id)


def get_run(conn: sqlite3.Connection, run_id: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()


def list_runs(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return conn.execute("SELECT * FROM runs ORDER BY created_at").fetchall()


def finish_run(conn: sqlite3.Connection, run_id: str, now: float) -> None:
    with write(conn):
        conn.execute("UPDATE runs SET finished_at = ? WHERE run_id = ?", (now, run_id))


def case_states(conn: sqlite3.Connection, run_id: str) -> dict[str, sqlite3.Row]:
    """case_id -> (status, owner, ts, attempts, lost_calls) for every case seen."""
    rows = conn.execute(
        "SELECT case_id, status, owner, ts, attempts, lost_calls FROM run_cases WHERE run_id = ?",
        (run_id,),
    ).fetchall()
    return {r["case_id"]: r for r in rows}


def claim(conn: sqlite3.Connection, run_id: str, case_id: str, task: str, owner: str,
          now: float, *, stale_owners: Iterable[str] = ()) -> bool:
    """Take a case for ``owner`` before paying for it; False if not ours to call.

    New cases, cases that ended in ``error``, and claims held by an owner in
    ``stale_owners`` (a dead process) are taken. Taking a stale claim counts
    one lost call: that process may have been billed without recording it.
    """
    stale = list(stale_owners)
    with write(conn):
        row = conn.execute(
            "SELECT status, owner FROM run_cases WHERE run_id = ? AND case_id = ?",
            (run_id, case_id),
        ).fetchone()
        if row is None:
            conn.execute(
                "INSERT INTO run_cases (run_id, case_id, task, status, owner, ts)"
                " VALUES (?, ?, ?, 'claimed', ?, ?)",
                (run_id, case_id, task, owner, now),
            )
            return True
        if row["status"] == "ok":
            return False
        if row["status"] == "claimed" and row["owner"] != owner:
            if row["owner"] not in stale:
                return False
            conn.execute(
                "UPDATE run_cases SET lost_calls = lost_calls + 1 WHERE run_id = ? AND case_id = ?",
                (run_id, case_id),
            )
        conn.execute(
            "UPDATE run_cases SET status = 'claimed', owner = ?, ts = ?, error = NULL"
            " WHERE run_id = ? AND case_id = ?",
            (owner, now, run_id, case_id),
        )
        return True


def record(conn: sqlite3.Connection, run_id: str, case_id: str, owner: str,
           result: CaseResult, now: float) -> bool:
    """Store the candidate's answer for a case this owner claimed."""
    with write(conn):
        cur = conn.execute(
            """UPDATE run_cases SET status = ?, output_text = ?, input_tokens = ?,
                   output_tokens = ?, cached_input_tokens = ?, reasoning_tokens = ?,
                   usage_estimated = ?, cost_pusd = ?, latency_ms = ?, error = ?,
                   attempts = attempts + ?, ts = ?,
                   unconfirmed_attempts = unconfirmed_attempts + ?,
                   unconfirmed_pusd = unconfirmed_pusd + ?
               WHERE run_id = ? AND case_id = ? AND owner = ? AND status = 'claimed'""",
            (
                result.status,
                result.output_text,
                result.input_tokens,
                result.output_tokens,
                result.cached_input_tokens,
                result.reasoning_tokens,
                int(result.usage_estimated),
                result.cost_pusd,
                result.latency_ms,
                result.error,
                result.attempts,
                now,
                result.unconfirmed_attempts,
                result.unconfirmed_pusd,
                run_id,
                case_id,
                owner,
            ),
        )
        return cur.rowcount == 1


def run_cases(conn: sqlite3.Connection, run_id: str) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT * FROM run_cases WHERE run_id = ? ORDER BY case_id", (run_id,)
    ).fetchall()


def run_totals(conn: sqlite3.Connection, run_id: str) -> sqlite3.Row:
    """Counts, tokens and inference cost of a run (NULL cost = some unpriced)."""
    return conn.execute(
        """SELECT count(*) AS cases,
                  sum(status = 'ok') AS ok, sum(status = 'error') AS errors,
                  sum(status = 'claimed') AS claimed,
                  coalesce(sum(input_tokens), 0) AS input_tokens,
                  coalesce(sum(output_tokens), 0) AS output_tokens,
                  sum(CASE WHEN status = 'ok' THEN cost_pusd END) AS cost_pusd,
                  sum(status = 'ok' AND cost_pusd IS NULL) AS unpriced,
                  coalesce(sum(attempts), 0) AS attempts,
                  coalesce(sum(lost_calls), 0) AS lost_calls,
                  coalesce(sum(unconfirmed_attempts), 0) AS unconfirmed_attempts,
                  coalesce(sum(unconfirmed_pusd), 0) AS unconfirmed_pusd
           FROM run_cases WHERE run_id = ?""",
        (run_id,),
    ).fetchone()


def put_scores(conn: sqlite3.Connection, rows: Iterable[tuple]) -> int:
    """Insert run_scores rows (run_id, case_id, judge, kind, status, score,
    passed, reason, error, ts); an existing verdict is kept."""
    with write(conn):
        cur = conn.executemany(
            """INSERT OR IGNORE INTO run_scores
               (run_id, case_id, judge, kind, status, score, passed, reason, error, ts)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            list(rows),
        )
        return cur.rowcount


def scored_pairs(conn: sqlite3.Connection, run_id: str) -> set[tuple[str, str]]:
    """(case_id, judge) pairs already holding a verdict."""
    rows = conn.execute("SELECT case_id, judge FROM run_scores WHERE run_id = ?", (run_id,))
    return {(r[0], r[1]) for r in rows}


def run_scores(conn: sqlite3.Connection, run_id: str) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT * FROM run_scores WHERE run_id = ? ORDER BY case_id, judge", (run_id,)
    ).fetchall()


# ---- shadow mode: live outputs as a run ------------------------------------

def get_mark(conn: sqlite3.Connection, name: str) -> int:
    row = conn.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
    return int(row[0]) if row else 0


def set_mark(conn: sqlite3.Connection, name: str, value: int) -> None:
    with write(conn):
        conn.execute(
            "INSERT INTO counters (name, value) VALUES (?, ?) "
            "ON CONFLICT(name) DO UPDATE SET value = max(value, excluded.value)",
            (name, value),
        )


def outputs_after(
    conn: sqlite3.Connection, after_rowid: int, since_ts: float, limit: int
) -> list[sqlite3.Row]:
    """Live outputs past a rowid mark (successful calls only), oldest first."""
    return conn.execute(
        """SELECT rowid, id, ts, task, model, input_text, input_json, output_text, latency_ms,
                  cost_pusd, input_tokens, output_tokens, tags_json, metadata_json
           FROM outputs WHERE rowid > ? AND ts >= ? AND error IS NULL ORDER BY rowid LIMIT ?""",
        (after_rowid, since_ts, limit),
    ).fetchall()


def record_live(conn: sqlite3.Connection, run_id: str, output: sqlite3.Row, now: float) -> None:
    """Copy a live output into a run as an ok case keyed by the output id."""
    with write(conn):
        conn.execute(
            """INSERT OR IGNORE INTO run_cases (run_id, case_id, task, status, output_text,
                   input_tokens, output_tokens, cost_pusd, latency_ms, ts, attempts)
               VALUES (?, ?, ?, 'ok', ?, ?, ?, ?, ?, ?, 0)""",
            (
                run_id,
                output["id"],
                output["task"],
                output["output_text"],
                output["input_tokens"],
                output["output_tokens"],
                output["cost_pusd"],
                output["latency_ms"],
                now,
            ),
        )


def outputs_by_ids(conn: sqlite3.Connection, ids: list[str]) -> list[sqlite3.Row]:
    out: list[sqlite3.Row] = []
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        marks = ",".join("?" * len(chunk))  # placeholders only; values are bound
        out += conn.execute(
            "SELECT rowid, id, task, model, input_text, input_json, tags_json, metadata_json"
            f" FROM outputs WHERE id IN ({marks})",
            chunk,
        ).fetchall()
    return out


def copy_live_scores(
    conn: sqlite3.Connection, run_id: str, output_ids: list[str], now: float
) -> int:
    """Reuse verdicts live judging already paid for: copy ``scores`` rows of
    these outputs into the run (existing run verdicts are kept)."""
    n = 0
    with write(conn):
        for i in range(0, len(output_ids), 500):
            chunk = output_ids[i:i + 500]
            marks = ",".join("?" * len(chunk))  # placeholders only; values are bound
            cur = conn.execute(
                "INSERT OR IGNORE INTO run_scores"
                " (run_id, case_id, judge, kind, status, score, passed, reason, error, ts)"
                " SELECT ?, output_id, judge, kind, status, score, passed, reason, error, ?"
                f" FROM scores WHERE status = 'ok' AND output_id IN ({marks})",
                [run_id, now, *chunk],
            )
            n += cur.rowcount
    return n
