"""Replay runs (`evaltop replay`) as the commands name them."""

from __future__ import annotations

import sqlite3

from evaltop.store import runs as store_runs


class UnknownRun(LookupError):
    """No run of that name; the message lists the runs there are."""


def find_run(conn: sqlite3.Connection, run_id: str) -> sqlite3.Row:
    """The run named ``run_id`` (its candidate, model, corpus, times)."""
    row = store_runs.get_run(conn, run_id)
    if row is None:
        known = ", ".join(r["run_id"] for r in store_runs.list_runs(conn)) or "none yet"
        raise UnknownRun(f"no run named {run_id!r} (runs: {known})")
    return row
