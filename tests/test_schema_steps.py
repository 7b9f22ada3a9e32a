"""The schema: every step is frozen SQL, and a fresh database (created from
store/schema/current.sql) equals one created at v1 and migrated through
every step."""

from __future__ import annotations

import ast
import re
import sqlite3
from pathlib import Path

import pytest

from evaltop.store import db
from evaltop.store.schema import current, runner, steps

STEPS_PY = Path(steps.__file__)


def _norm(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip()


def _master(conn: sqlite3.Connection) -> set[tuple]:
    """sqlite_master with whitespace normalised (SQLite keeps CREATE text verbatim)."""
    return {(t, n, tb, _norm(s or "")) for t, n, tb, s in conn.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master")}


def _at_version(path: Path, version: int) -> None:
    """A database as a release at ``version`` left it: v1 and the steps up to it."""
    conn = sqlite3.connect(path, isolation_level=None)
    for script in steps.STEPS[:version]:
        steps.run_script(conn, script)
    conn.execute(f"PRAGMA user_version = {version}")
    conn.close()


def _migrated_from_v1(path: Path) -> sqlite3.Connection:
    """Created at v1, then opened by today's evaltop: the runner applies
    every later step in turn."""
    _at_version(path, 1)
    return db.connect(path)


def test_fresh_database_equals_v1_migrated_through_every_step(tmp_path):
    fresh = db.connect(tmp_path / "fresh.db")
    old = _migrated_from_v1(tmp_path / "old.db")
    assert current.shape(fresh) == current.shape(old)
    assert current.shape(fresh)["user_version"] == runner.SCHEMA_VERSION
    assert _master(fresh) == _master(old)
    assert len(_master(fresh)) > 90  # tables, indexes and triggers, not an empty file


def test_an_old_database_migrates_step_by_step_to_the_fresh_shape(tmp_path):
    """A database left at every released version reaches the same schema
    through the runner's steps (not current.sql)."""
    want = current.shape(db.connect(tmp_path / "fresh.db"))
    for version in range(1, runner.SCHEMA_VERSION):
        path = tmp_path / f"v{version}.db"
        _at_version(path, version)
        conn = db.connect(path)
        assert current.shape(conn) == want, version
        rows = conn.execute("SELECT version FROM schema_version").fetchall()
        assert [r[0] for r in rows] == [runner.SCHEMA_VERSION]
        conn.close()


def test_current_sql_is_the_dump_of_a_migrated_database():
    conn = sqlite3.connect(":memory:", isolation_level=None)
    current.migrated(conn)
    assert current.read() == current.dump(conn), (
        "store/schema/current.sql is stale: run python -m evaltop.store.schema.current")


def test_the_comparison_sees_a_missing_index_column_and_trigger(tmp_path):
    """The checks above can fail: each kind of difference changes the shape."""
    base = current.shape(db.connect(tmp_path / "a.db"))
    for i, change in enumerate((
        "DROP INDEX scores_output_ts",
        "ALTER TABLE alerts DROP COLUMN notify_error",
        "DROP TRIGGER ledger_daily_upd",
        "CREATE VIEW v AS SELECT 1",
        "PRAGMA user_version = 3",
    )):
        conn = db.connect(tmp_path / f"b{i}.db")
        conn.execute(change)
        assert current.shape(conn) != base, change


def test_every_step_file_is_listed_once_numbered_from_2():
    on_disk = sorted(p.name for p in steps.SQL_DIR.glob("*.sql"))
    assert sorted(steps.STEP_FILES) == on_disk
    numbers = [int(name[1:].split("_", 1)[0]) for name in steps.STEP_FILES]
    assert numbers == list(range(2, len(steps.STEPS) + 1))


def _our_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return {n for n in names if n.startswith("evaltop")}


def test_steps_import_no_live_store_module():
    """A released step is frozen text: steps.py may import only the frozen v1 DDL."""
    assert _our_imports(STEPS_PY) <= {"evaltop.store.schema.v1"}
    assert _our_imports(Path(runner.__file__).parent / "v1.py") == set()


@pytest.mark.parametrize("source, bad", [
    ("from evaltop.store.rollups.scores import create\n", True),
    ("import evaltop.store.analysis_cache\n", True),
    ("from evaltop.store.schema.v1 import V1\n", False),
])
def test_the_import_check_can_fail(tmp_path, source, bad):
    f = tmp_path / "steps.py"
    f.write_text(source)
    assert (not _our_imports(f) <= {"evaltop.store.schema.v1"}) is bad
