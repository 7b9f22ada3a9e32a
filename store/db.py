"""Connections, pragmas and transactions.

Every connection is opened in autocommit mode (``isolation_level=None``) so
that transactions are explicit: writers use :func:`write` (``BEGIN
IMMEDIATE``), readers use plain statements or :func:`read` (a deferred
snapshot). WAL lets readers run while one writer writes.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from evaltop.store import search
from evaltop.store.errors import StoreError
from evaltop.store.schema import runner as schema

BUSY_TIMEOUT_MS = 30_000
JOURNAL_SIZE_LIMIT = 64 * 2**20
# Page cache per connection. The dashboard reads rollups and index ranges, so
# a modest cache does; a long-running process keeps several connections and
# each would otherwise grow to this size as the database grows.
CACHE_KIB = 16_384


def connect(
    path: str | Path, *, readonly: bool = False, migrate: bool = True
) -> sqlite3.Connection:
    """Open the database at ``path`` with evaltop's pragmas.

    ``readonly`` opens with ``mode=ro`` (a watcher TUI); otherwise the schema is
    created or migrated forward.
    """
    path = Path(path)
    if readonly:
        if not path.exists():
            raise StoreError(f"{path}: database does not exist")
        uri = f"file:{path.resolve().as_posix()}?mode=ro"
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    else:
        if path.parent and not path.parent.exists():
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                why = (exc.strerror or type(exc).__name__).lower()
                raise StoreError(f"{path}: cannot create its folder {path.parent}: {why}") from exc
        try:
            conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise StoreError(f"{path}: cannot open database: {exc}") from exc
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    if not readonly:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StoreError(f"{path}: not an SQLite database ({exc})") from exc
        conn.execute("PRAGMA synchronous = NORMAL")
        # After a checkpoint resets the WAL, truncate the file to this size, so
        # a long-held reader snapshot cannot leave hundreds of MB behind.
        conn.execute(f"PRAGMA journal_size_limit = {JOURNAL_SIZE_LIMIT}")
        if migrate and schema.needs_migration(conn):  # raises StoreError when newer
            with write(conn):
                schema.migrate(conn)
        if migrate and search.trigger_outdated(conn):  # search indexed with sqlite-utils' trigger
            with write(conn):
                search.replace_trigger(conn)
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    return conn


@contextmanager
def write(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction: ``BEGIN IMMEDIATE`` ... ``COMMIT`` (or rollback).

    Taking the write lock up front means a writer never fails half way with
    SQLITE_BUSY after reading; it waits up to ``busy_timeout`` instead.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")


@contextmanager
def read(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A consistent snapshot across several SELECTs."""
    conn.execute("BEGIN")
    try:
        yield conn
    finally:
        conn.execute("COMMIT")


def table_exists(conn: sqlite3.Connection, name: str) -> bool:
    """A table exists (a read-only watcher may open an older database that
    lacks a later step's table)."""
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                        (name,)).fetchone() is not None


def data_version(conn: sqlite3.Connection) -> int:
    """Changes when *another* connection commits: the TUI's cheap refresh check."""
    return conn.execute("PRAGMA data_version").fetchone()[0]


class ConnectionPool:
    """One connection per thread for a database path (sqlite3 objects are not
    shared across threads for concurrent use)."""

    def __init__(self, path: str | Path, *, readonly: bool = False):
        self.path = Path(path)
        self.readonly = readonly
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        if not readonly:
            connect(self.path).close()  # create / migrate once, up front

    def get(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path, readonly=self.readonly, migrate=False)
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                try:
                    conn.close()
                except sqlite3.Error:
                    pass
            self._all.clear()
        self._local = threading.local()
