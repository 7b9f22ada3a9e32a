"""How a surface (the dashboard, the CLI) opens the store.

``tui`` never imports ``evaltop.store``: it opens the database here, reads it
through ``core/views`` and writes through core's stage packages. Two ways in:

- :func:`open_db`: read-write; creates the database or migrates it forward
  first (what every writing command and the job engine's owner does).
- :func:`open_readonly`: ``mode=ro`` for a watcher; never creates a file,
  never migrates.

:class:`StoreError` is the one store failure a surface shows to its user (a bad
path, a file that is not a database, a schema newer than this evaltop).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from evaltop.store import db as _db
from evaltop.store.db import StoreError

__all__ = ["StoreError", "data_version", "open_db", "open_readonly", "prepare"]


def open_db(path: str | Path) -> sqlite3.Connection:
    """A read-write connection; the schema is created or migrated first."""
    return _db.connect(path)


def open_readonly(path: str | Path) -> sqlite3.Connection:
    """A read-only connection to an existing database (StoreError if missing)."""
    return _db.connect(path, readonly=True)


def prepare(path: str | Path) -> None:
    """Create or migrate the database, so read-only readers can open it next."""
    _db.connect(path).close()


def data_version(conn: sqlite3.Connection) -> int:
    """Changes when *another* connection commits: the dashboard's refresh check."""
    return _db.data_version(conn)
