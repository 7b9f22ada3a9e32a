"""The search index is rewritten only when an output's text changes.

sqlite-utils' update trigger fires on any update of ``outputs``: `evaltop
reprice`, which rewrites cost columns only, would delete and re-insert the
text of every repriced output in the index (same results, but slow and a big
WAL). The trigger fires on the two indexed columns only, for new indexes and
for a store whose index was made with the old trigger (replaced at open).
"""

from __future__ import annotations

import sqlite3
import time

from tui_helpers import insert_outputs, output_row

from evaltop.core.ingest.pricing import PriceBook
from evaltop.core.ingest.reprice import reprice
from evaltop.core.ops import search_index
from evaltop.store import db as store_db
from evaltop.store import search as store_search

NOW = time.time()
OLD_TRIGGER = """CREATE TRIGGER "outputs_au" AFTER UPDATE ON "outputs" BEGIN
  INSERT INTO "outputs_fts" ("outputs_fts", rowid, "input_text", "output_text") VALUES('delete', old.rowid, old."input_text", old."output_text");
  INSERT INTO "outputs_fts" (rowid, "input_text", "output_text") VALUES (new.rowid, new."input_text", new."output_text");
END"""  # noqa: E501  (sqlite-utils' DDL, verbatim)


def shadow(conn: sqlite3.Connection) -> tuple:
    """Everything the FTS5 index stores (its shadow tables)."""
    return tuple(tuple(map(tuple, conn.execute(f"SELECT * FROM outputs_fts_{t} ORDER BY 1")))
                 for t in ("data", "idx", "docsize"))


def update_trigger(conn: sqlite3.Connection) -> str:
    return conn.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' "
                        "AND name = 'outputs_au'").fetchone()[0]


def searched(conn: sqlite3.Connection, word: str) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT o.id FROM outputs_fts f JOIN outputs o ON o.rowid = f.rowid "
        "WHERE outputs_fts MATCH ? ORDER BY o.id", (word,))]


def searchable_store(conn, make_config, n: int = 30) -> None:
    insert_outputs(conn, [output_row(i, NOW - 3600 - i, output=f"refund number{i}")
                          for i in range(n)])
    cfg = make_config({"store": {"path": "x.db", "search": True}})
    search_index.sync(cfg, conn)
    search_index.build(conn)


def test_reprice_leaves_the_index_alone_a_text_update_reindexes(conn, make_config):
    searchable_store(conn, make_config)
    before = shadow(conn)
    res = reprice(conn, PriceBook.builtin(), since=NOW - 86400, until=NOW + 60, batch_size=7)
    assert res.changed == 30  # every cost was rewritten (1,500 microdollars -> list price)
    assert shadow(conn) == before
    assert len(searched(conn, "refund")) == 30
    # OTLP content arriving after its span: the text changes, the index follows
    with store_db.write(conn):
        conn.execute("UPDATE outputs SET output_text = 'invoice shipped' "
                     "WHERE id = 'out-000003'")
    assert shadow(conn) != before
    assert searched(conn, "invoice") == ["out-000003"]
    assert "out-000003" not in searched(conn, "refund") and len(searched(conn, "refund")) == 29
    with store_db.write(conn):  # the input text is indexed too
        conn.execute("UPDATE outputs SET input_text = 'user: where is my parcel' "
                     "WHERE id = 'out-000004'")
    assert searched(conn, "parcel") == ["out-000004"]


def test_new_index_trigger_fires_on_the_text_columns_only(conn, make_config):
    searchable_store(conn, make_config, n=1)
    sql = update_trigger(conn)
    assert 'AFTER UPDATE OF "input_text", "output_text" ON "outputs"' in sql
    assert all("AFTER UPDATE ON" not in s for s in store_search.index_ddl())


def test_an_old_trigger_is_replaced_when_the_store_opens(db_path, make_config):
    conn = store_db.connect(db_path)
    searchable_store(conn, make_config, n=5)
    with store_db.write(conn):  # as a store indexed before this change has it
        conn.execute("DROP TRIGGER outputs_au")
        conn.execute(OLD_TRIGGER)
    assert store_search.trigger_outdated(conn)
    conn.close()
    conn = store_db.connect(db_path)
    try:
        assert not store_search.trigger_outdated(conn)
        assert "AFTER UPDATE OF" in update_trigger(conn)
        before = shadow(conn)
        with store_db.write(conn):
            conn.execute("UPDATE outputs SET cost_pusd = 7")
        assert shadow(conn) == before
        with store_db.write(conn):
            conn.execute("UPDATE outputs SET output_text = 'invoice' WHERE id = 'out-000001'")
        assert searched(conn, "invoice") == ["out-000001"]
    finally:
        conn.close()


def test_opening_a_store_without_an_index_changes_nothing(db_path):
    conn = store_db.connect(db_path)
    try:
        assert not store_search.trigger_outdated(conn)
        assert conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' "
                            "AND name LIKE 'outputs_a%'").fetchone()[0] == 0
    finally:
        conn.close()
