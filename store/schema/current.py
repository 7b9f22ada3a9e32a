"""The whole current schema in one file, ``current.sql``: read it to see every
table, column, index and trigger as they are today, instead of adding up v1
and the steps. Fresh databases are created from it in one go (the runner);
existing ones migrate through the steps.

``current.sql`` is generated, never edited by hand: it is the schema of a
database created at v1 and migrated through every step. After adding a step,
regenerate it with ``python -m evaltop.store.schema.current``; a test fails
until a fresh database equals a migrated one.

sqlite-utils does the introspection here: the tables, columns, indexes,
triggers and views a test compares between fresh and migrated databases. It
is imported by :func:`database` alone: every connection reads ``current.sql``
through this module, and sqlite-utils (with numpy behind it) would otherwise
load in every evaltop process for nothing.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from evaltop.store.schema.steps import STEPS, run_script

if TYPE_CHECKING:
    import sqlite_utils

CURRENT_FILE = Path(__file__).parent / "current.sql"
_HEADER = (
    "-- The current schema: every table, index and trigger a fresh database gets.\n"
    "-- GENERATED from v1 plus every step in sql/ by\n"
    "--     python -m evaltop.store.schema.current\n"
    "-- never edit by hand; change the schema by adding a step.\n"
)
# Tables first, each followed by its indexes, then views, then triggers.
_ORDER = """
    SELECT m.sql FROM sqlite_master m
    LEFT JOIN sqlite_master t ON t.type = 'table' AND t.name = m.tbl_name
    WHERE m.sql IS NOT NULL AND m.name != 'schema_version'
    ORDER BY CASE m.type WHEN 'trigger' THEN 2 WHEN 'view' THEN 1 ELSE 0 END,
             CASE m.type WHEN 'trigger' THEN m.rowid ELSE t.rowid END,
             m.type != 'table', m.rowid
"""


def read() -> str:
    """The current schema script (``current.sql``)."""
    return CURRENT_FILE.read_text(encoding="utf-8")


def migrated(conn: sqlite3.Connection) -> None:
    """Create the schema on an empty connection as an old database got it:
    v1, then every step in turn (no transaction of its own)."""
    for script in STEPS:
        run_script(conn, script)


def dump(conn: sqlite3.Connection) -> str:
    """The schema of ``conn`` as a script that recreates it (the runner's
    ``schema_version`` bookkeeping table left out)."""
    body = "\n\n".join(row[0] + ";" for row in conn.execute(_ORDER))
    return _HEADER + "\n" + body + "\n"


def database(conn: sqlite3.Connection) -> sqlite_utils.Database:
    """A sqlite-utils view over an open connection that changes none of its
    settings (no recursive triggers, no plugins)."""
    import sqlite_utils

    return sqlite_utils.Database(conn, recursive_triggers=False, execute_plugins=False)


def shape(conn: sqlite3.Connection) -> dict:
    """Everything the schema is made of, as comparable plain values: per table
    its columns, indexes and triggers; the views; and ``user_version``."""
    db = database(conn)
    tables = {}
    for table in db.tables:
        key_columns = {x.name: [(c.name, c.desc, c.coll, c.key) for c in x.columns]
                       for x in table.xindexes}
        tables[table.name] = {
            "columns": [(c.name, c.type, c.notnull, c.default_value, c.is_pk)
                        for c in table.columns],
            "indexes": sorted((i.name, i.unique, i.origin, i.partial, key_columns[i.name])
                              for i in table.indexes),
            "triggers": sorted((t.name, " ".join(t.sql.split())) for t in table.triggers),
        }
    views = {v.name: " ".join(v.schema.split()) for v in db.views}
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    return {"tables": tables, "views": views, "user_version": version}


def main() -> None:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    migrated(conn)
    CURRENT_FILE.write_text(dump(conn), encoding="utf-8")
    print(f"wrote {CURRENT_FILE}")


if __name__ == "__main__":
    main()
