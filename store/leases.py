"""The job lease: one row per lease name saying who runs the jobs until when.

Acquire, renew and release are each one ``BEGIN IMMEDIATE`` transaction, so
two processes racing for an expired lease cannot both win. Times are epoch
seconds supplied by the caller (the core passes its clock).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from evaltop.store.db import write


@dataclass(frozen=True)
class LeaseRow:
    name: str
    owner: str
    heartbeat: float
    expires_at: float


@dataclass(frozen=True)
class Acquired:
    """Outcome of :func:`acquire`: ``took_over_from`` names the owner whose
    lease had expired (its unfinished work may need reconciling)."""

    ok: bool
    holder: LeaseRow | None
    took_over_from: str | None = None


def get(conn: sqlite3.Connection, name: str) -> LeaseRow | None:
    row = conn.execute(
        "SELECT name, owner, heartbeat, expires_at FROM leases WHERE name = ?", (name,)
    ).fetchone()
    return LeaseRow(*row) if row else None


def acquire(conn: sqlite3.Connection, name: str, owner: str, ttl: float, now: float) -> Acquired:
    """Take the lease if it is free, already ours, or expired (``expires_at <= now``)."""
    with write(conn):
        current = get(conn, name)
        if current is not None and current.owner != owner and current.expires_at > now:
            return Acquired(False, current)
        conn.execute(
            "INSERT INTO leases (name, owner, heartbeat, expires_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(name) DO UPDATE SET owner = excluded.owner, "
            "heartbeat = excluded.heartbeat, expires_at = excluded.expires_at",
            (name, owner, now, now + ttl),
        )
        previous = current.owner if current is not None and current.owner != owner else None
        return Acquired(True, LeaseRow(name, owner, now, now + ttl), previous)


def renew(conn: sqlite3.Connection, name: str, owner: str, ttl: float, now: float) -> bool:
    """Extend our lease. False when someone else holds it now (we lost it)."""
    with write(conn):
        cur = conn.execute(
            "UPDATE leases SET heartbeat = ?, expires_at = ? WHERE name = ? AND owner = ?",
            (now, now + ttl, name, owner),
        )
        return cur.rowcount == 1


def release(conn: sqlite3.Connection, name: str, owner: str) -> bool:
    """Give the lease up (only if it is ours). True when a row was removed."""
    with write(conn):
        cur = conn.execute("DELETE FROM leases WHERE name = ? AND owner = ?", (name, owner))
        return cur.rowcount == 1
