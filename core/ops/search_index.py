"""The full-text search index kept as the config says (``[store] search``):
created or dropped, then filled in batches (docs/search.md).

Each batch is its own short write transaction, so ingest and the dashboard
go on while a big store is indexed; the engine's ``search`` job runs a second
of batches at a time, ``evaltop search-index`` runs them to the end.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable

from evaltop.core.model.config import Config
from evaltop.store import search as store_search
from evaltop.store.db import write
from evaltop.store.search import SearchStatus

BATCH = 5_000


def sync(cfg: Config, conn: sqlite3.Connection) -> SearchStatus:
    """Create the index when search is on and it is missing; drop it when
    search is off (the outputs keep their text: only the index goes)."""
    st = store_search.status(conn)
    if cfg.store.search and not st.enabled:
        with write(conn):
            return store_search.enable(conn)
    if not cfg.store.search and st.enabled:
        with write(conn):
            store_search.disable(conn)
        return store_search.status(conn)
    return st


def build(
    conn: sqlite3.Connection,
    *,
    seconds: float | None = None,
    batch: int = BATCH,
    stop: threading.Event | None = None,
    progress: Callable[[SearchStatus], None] | None = None,
) -> SearchStatus:
    """Fill the index batch by batch until it is complete, ``seconds`` have
    passed or ``stop`` is set; ``progress`` sees the status after each batch."""
    started = time.monotonic()
    st = store_search.status(conn)
    while st.enabled and not st.finished:
        if stop is not None and stop.is_set():
            break
        with write(conn):
            st = store_search.build_step(conn, batch)
        if progress is not None:
            progress(st)
        if seconds is not None and time.monotonic() - started >= seconds:
            break
    return st
