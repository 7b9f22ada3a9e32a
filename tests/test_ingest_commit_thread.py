"""The COMMIT runs on a thread of its own beside the next batch's parsing
(core/ingest.py). A COMMIT that fails must leave its batch wholly unstored,
the error must reach the caller, and the next run must store every line
exactly once. The failure is SQLite's own: a deferred foreign key that a
TEMP trigger violates while the batch is inserted is only checked at COMMIT."""

from __future__ import annotations

import sqlite3

import pytest
from ingest_helpers import count, counter, native, source_config, write_lines

from evaltop.core.ingest.pipeline import MAX_LINES, ingest_once
from evaltop.store import checkpoints as store_cp


def _fail_commit_of_the_batch_holding(conn, output_id: str) -> None:
    conn.executescript(f"""
        CREATE TEMP TABLE parent (id INTEGER PRIMARY KEY);
        CREATE TEMP TABLE child (pid INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);
        CREATE TEMP TRIGGER poison AFTER INSERT ON main.outputs WHEN NEW.id = '{output_id}'
        BEGIN INSERT INTO child VALUES (42); END;
    """)


def test_a_failed_commit_stores_nothing_of_its_batch_and_a_rerun_stores_the_rest(
    tmp_path, make_config, conn
):
    n = 2 * MAX_LINES + 500  # three batches; the second one's COMMIT fails
    write_lines(tmp_path / "app.jsonl", [native(i) for i in range(n)])
    cfg = source_config(make_config, "app.jsonl")
    _fail_commit_of_the_batch_holding(conn, f"o{MAX_LINES + 7}")

    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        ingest_once(cfg, conn)

    assert not conn.in_transaction
    assert count(conn, "outputs") == MAX_LINES  # the first batch, and nothing of the second
    assert counter(conn, "outputs") == MAX_LINES
    [cp] = store_cp.load(conn, "app")
    assert cp.line_no == MAX_LINES  # the checkpoint did not move past what is stored

    conn.execute("DROP TRIGGER temp.poison")
    s = ingest_once(cfg, conn)
    assert (s.outputs, s.duplicates, s.rejected) == (n - MAX_LINES, 0, 0)
    assert count(conn, "outputs") == counter(conn, "outputs") == n
    assert conn.execute("SELECT COUNT(DISTINCT id) FROM outputs").fetchone()[0] == n
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
