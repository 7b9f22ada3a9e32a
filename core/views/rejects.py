"""Stored rejects for `evaltop rejects`: the lines ingest could not take
(newest first), or every reason with its count and first place."""

from __future__ import annotations

from typing import Any

from evaltop.store import outputs as store_out


def latest(conn, *, since: float | None = None, source: str | None = None,
           limit: int = 50) -> list[dict[str, Any]]:
    """Newest first: source, file, line_no, reason, ts."""
    keys = ("source", "file", "line_no", "reason", "ts")
    return [dict(zip(keys, r, strict=True))
            for r in store_out.rejects(conn, since=since, source=source, limit=limit)]


def reasons(conn, *, since: float | None = None, source: str | None = None,
            limit: int = 50) -> list[dict[str, Any]]:
    """Every reason, most frequent first: reason, count, file, line_no of the first."""
    keys = ("reason", "count", "file", "line_no")
    return [dict(zip(keys, r, strict=True)) for r in store_out.reject_reason_counts(
        conn, since=since, source=source, limit=limit)]


def reason_count(conn, after_rowid: int = 0) -> int:
    """Distinct reasons among rejects newer than ``after_rowid``."""
    return store_out.count_reject_reasons(conn, after_rowid=after_rowid)
