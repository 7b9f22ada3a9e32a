"""Store connections: pragmas, migrations, and the WAL file shrinking after readers end."""

import sqlite3
import threading

import pytest

from evaltop.store import db
from evaltop.store.schema import runner as schema


def test_pragmas_and_schema(db_path):
    conn = db.connect(db_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == db.BUSY_TIMEOUT_MS
    assert conn.execute("PRAGMA journal_size_limit").fetchone()[0] == db.JOURNAL_SIZE_LIMIT
    assert schema.current_version(conn) == schema.SCHEMA_VERSION
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_newer_schema_is_refused_untouched(db_path):
    conn = db.connect(db_path)
    conn.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(db.StoreError, match="newer than this evaltop"):
        db.connect(db_path)


def test_not_a_database_is_a_clear_error(tmp_path):
    bad = tmp_path / "x.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(db.StoreError, match="not an SQLite database"):
        db.connect(bad)


def test_write_rolls_back_on_error(conn):
    with pytest.raises(RuntimeError):
        with db.write(conn):
            conn.execute("INSERT INTO counters (name, value) VALUES ('x', 1)")
            raise RuntimeError("boom")
    assert conn.execute("SELECT COUNT(*) FROM counters WHERE name = 'x'").fetchone()[0] == 0


def test_wal_file_shrinks_after_a_long_reader_ends(db_path):
    writer = db.connect(db_path)
    reader = db.connect(db_path)
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM outputs").fetchone()  # hold a snapshot
    blob = "x" * 4000
    for i in range(40):  # ~ 40 x 500 rows x 4 KB = 80 MB of WAL while the snapshot is held
        with db.write(writer):
            writer.executemany(
                "INSERT INTO outputs (id, ts, output_text, ingested_at) VALUES (?, 0, ?, 0)",
                [(f"{i}-{j}", blob) for j in range(500)],
            )
    wal = db_path.with_name(db_path.name + "-wal")
    assert wal.stat().st_size > db.JOURNAL_SIZE_LIMIT
    reader.execute("COMMIT")
    writer.execute("PRAGMA wal_checkpoint(PASSIVE)")
    with db.write(writer):  # the next write restarts the WAL and truncates it to the limit
        writer.execute("INSERT INTO counters (name, value) VALUES ('after', 1)")
    assert wal.stat().st_size <= db.JOURNAL_SIZE_LIMIT
    writer.close()
    reader.close()


def test_pool_gives_each_thread_its_own_connection(db_path):
    pool = db.ConnectionPool(db_path)
    seen = []
    t = threading.Thread(target=lambda: seen.append(pool.get()))
    t.start()
    t.join()
    assert seen[0] is not pool.get()
    pool.close()
    with pytest.raises(sqlite3.ProgrammingError):
        seen[0].execute("SELECT 1")
