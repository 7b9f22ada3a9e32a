"""Tables, indexes and forward migrations.

Conventions (every layer relies on them):
- timestamps are REAL seconds since the Unix epoch, UTC;
- money is INTEGER picodollars (``*_pusd``, 1e-12 USD): exact for any price
  quoted with up to six decimals per million tokens; NULL cost means
  "unpriced / unknown", never zero;
- JSON columns end in ``_json`` and hold text;
- ``outputs.rowid`` is the keyset-pagination key and ``outputs.id`` the
  natural key (provider id, span id, or a hash of the line).

Migrations only ever move forward: ``MIGRATIONS[i]`` brings a database from
version ``i`` to ``i + 1``. Append, never edit a released step.
"""

from __future__ import annotations

import sqlite3

from evaltop.store.db import StoreError
from evaltop.store.schema.steps import STEPS

SCHEMA_VERSION = len(STEPS)


def current_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the database up to :data:`SCHEMA_VERSION`; return the version.

    Runs under ``BEGIN IMMEDIATE`` so two processes starting together do not
    both migrate. A database written by a newer evaltop is refused, not
    touched.
    """
    version = current_version(conn)
    if version == SCHEMA_VERSION:
        return version
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"database schema version {version} is newer than this evaltop "
            f"understands ({SCHEMA_VERSION}); upgrade evaltop"
        )
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = current_version(conn)  # another process may have migrated
        for script in STEPS[version:]:
            run_script(conn, script)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at REAL NOT NULL)"
        )
        conn.execute(
            "INSERT INTO schema_version (version, applied_at) VALUES (?, strftime('%s','now'))",
            (SCHEMA_VERSION,),
        )
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return SCHEMA_VERSION


def run_script(conn: sqlite3.Connection, script: str) -> None:
    """Run a step's script statement by statement inside the caller's
    transaction (``executescript`` would COMMIT it)."""
    for stmt in _split_sql(script):
        conn.execute(stmt)


def _split_sql(script: str) -> list[str]:
    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        if line.strip().startswith("--"):
            continue
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out
