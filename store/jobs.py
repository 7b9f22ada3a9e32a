"""Per-job counters for the scheduled jobs (``job_stats``): runs, errors,
overruns, last start/finish/duration and the last error.

Shared by every process on the database: a watcher that takes over keeps
counting in the same rows.
"""

from __future__ import annotations

import sqlite3

from evaltop.store.db import write

_UPSERT_PREFIX = "INSERT INTO job_stats (job) VALUES (?) ON CONFLICT(job) DO NOTHING"


def started(conn: sqlite3.Connection, job: str, now: float) -> None:
    with write(conn):
        conn.execute(_UPSERT_PREFIX, (job,))
        conn.execute("UPDATE job_stats SET last_started = ? WHERE job = ?", (now, job))


def finished(
    conn: sqlite3.Connection, job: str, now: float, duration_ms: float, error: str | None = None
) -> None:
    """Count one finished run; ``error`` (text) marks it failed."""
    with write(conn):
        conn.execute(_UPSERT_PREFIX, (job,))
        if error is None:
            conn.execute(
                "UPDATE job_stats SET runs = runs + 1, last_finished = ?, last_duration_ms = ? "
                "WHERE job = ?",
                (now, duration_ms, job),
            )
        else:
            conn.execute(
                "UPDATE job_stats SET runs = runs + 1, errors = errors + 1, last_finished = ?, "
                "last_duration_ms = ?, last_error = ?, last_error_at = ? WHERE job = ?",
                (now, duration_ms, error, now, job),
            )


def overrun(conn: sqlite3.Connection, job: str) -> None:
    """A scheduled run was skipped because the previous one was still going
    (or it started too late to be useful)."""
    with write(conn):
        conn.execute(_UPSERT_PREFIX, (job,))
        conn.execute("UPDATE job_stats SET overruns = overruns + 1 WHERE job = ?", (job,))


def all_stats(conn: sqlite3.Connection) -> list[dict]:
    rows = conn.execute(
        "SELECT job, runs, errors, overruns, last_started, last_finished, last_duration_ms, "
        "last_error, last_error_at FROM job_stats ORDER BY job"
    ).fetchall()
    return [dict(r) for r in rows]
