"""The migration runner: brings a database to :data:`SCHEMA_VERSION`.

Conventions (every layer relies on them):
- timestamps are REAL seconds since the Unix epoch, UTC;
- money is INTEGER picodollars (``*_pusd``, 1e-12 USD): exact for any price
  quoted with up to six decimals per million tokens; NULL cost means
  "unpriced / unknown", never zero;
- JSON columns end in ``_json`` and hold text;
- ``outputs.rowid`` is the keyset-pagination key and ``outputs.id`` the
  natural key (provider id, span id, or a hash of the line).

The version is ``PRAGMA user_version``; each migration also appends a row to
``schema_version``. Migrations only ever move forward: ``STEPS[i]``
(``steps.py``) brings a database from version ``i`` to ``i + 1``. A fresh
database (version 0) is created from ``current.sql`` (``current.py``) in one
go, which a test keeps equal to v1 plus every step.
"""

from __future__ import annotations

import sqlite3

from evaltop.store.errors import StoreError
from evaltop.store.schema import current
from evaltop.store.schema.steps import STEPS, run_script

SCHEMA_VERSION = len(STEPS)


def current_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def needs_migration(conn: sqlite3.Connection) -> bool:
    """Whether :func:`migrate` has work to do; a database written by a newer
    evaltop is refused (``StoreError``), never touched."""
    version = current_version(conn)
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"database schema version {version} is newer than this evaltop "
            f"understands ({SCHEMA_VERSION}); upgrade evaltop"
        )
    return version < SCHEMA_VERSION


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the database up to :data:`SCHEMA_VERSION`; return the version.

    The caller holds the write transaction (``db.connect`` runs this inside
    ``db.write``, a ``BEGIN IMMEDIATE``), so two processes starting together
    do not both migrate: the second finds the version already current.
    """
    if not needs_migration(conn):  # another process may have migrated meanwhile
        return SCHEMA_VERSION
    version = current_version(conn)
    if version == 0:
        run_script(conn, current.read())
    else:
        for script in STEPS[version:]:
            run_script(conn, script)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_version "
        "(version INTEGER NOT NULL, applied_at REAL NOT NULL)"
    )
    conn.execute(
        "INSERT INTO schema_version (version, applied_at) "
        "VALUES (?, strftime('%s','now'))",
        (SCHEMA_VERSION,),
    )
    return SCHEMA_VERSION
