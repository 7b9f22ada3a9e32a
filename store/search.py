"""Full-text search over ``outputs`` (docs/search.md): an FTS5 index set up by
sqlite-utils, filled in the background, and the query checks.

The index is sqlite-utils' external-content FTS5 table ``outputs_fts`` over
``input_text`` and ``output_text`` with its three triggers (``outputs_ai``,
``outputs_ad``, ``outputs_au``): the text is stored once, in ``outputs``, and
the index holds only what it needs to find it. The update trigger fires on the
two indexed columns only (``AFTER UPDATE OF input_text, output_text``), not on
any update as sqlite-utils writes it: `evaltop reprice` rewrites cost columns
of many outputs and must not delete and re-insert their text in the index. A
store indexed with sqlite-utils' trigger gets this one when it opens
(:func:`replace_trigger`, from ``db.connect``). It is opt-in (``[store]
search``): measured, it costs ingest about half its speed (docs/benchmarks.md).

:func:`enable` creates the table and the triggers and records which outputs
already existed (``search_build``, schema step v18); :func:`build_step` indexes
those in batches, newest first, one short transaction each, so neither the
open nor ingest waits for a big store; :func:`status` says how far it got.

sqlite-utils is imported by :func:`enable` and :func:`disable` alone: every
evaltop process imports this module (the cases query), and sqlite-utils (with
numpy behind it) would otherwise load in each of them for nothing.
"""

from __future__ import annotations

import re
import sqlite3
import time
from dataclasses import dataclass

FTS_TABLE = "outputs_fts"
COLUMNS = ("input_text", "output_text")
# Porter stemming over unicode61: `refund` finds refunds and refunded (the
# demo's support bot says "Never promise refunds"); case and accents ignored.
TOKENIZE = "porter"
FIRST_BATCH = 2_000  # indexed with the triggers' creation: see enable()
UPDATE_TRIGGER = "outputs_au"
# sqlite-utils' update trigger, on any column (quoted, bracketed or bare)
_ANY_UPDATE = re.compile(r'AFTER\s+UPDATE\s+ON\s+(?:"outputs"|\[outputs\]|outputs)(?=\s)',
                         re.IGNORECASE)
_TEXT_UPDATE = 'AFTER UPDATE OF "input_text", "output_text" ON "outputs"'


class SearchQueryError(ValueError):
    """A search the index cannot run; the message is one line for the user."""


@dataclass(frozen=True)
class SearchStatus:
    enabled: bool  # the index and its triggers exist
    total: int = 0  # outputs that existed when it was turned on
    done: int = 0  # of those, indexed so far
    finished: bool = False

    @property
    def ready(self) -> bool:
        return self.enabled and self.finished

    @property
    def percent(self) -> int:
        if self.finished or not self.total:
            return 100
        return min(99, self.done * 100 // self.total)


def _has(conn: sqlite3.Connection, kind: str, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = ? AND name = ?",
                        (kind, name)).fetchone() is not None


def status(conn: sqlite3.Connection) -> SearchStatus:
    if not _has(conn, "table", FTS_TABLE):
        return SearchStatus(enabled=False)
    row = (conn.execute("SELECT total, done, finished_at FROM search_build WHERE id = 1")
           .fetchone() if _has(conn, "table", "search_build") else None)
    if row is None:  # created without a fill record: nothing to fill
        return SearchStatus(enabled=True, finished=True)
    return SearchStatus(enabled=True, total=row[0], done=row[1], finished=row[2] is not None)


def index_ddl() -> list[str]:
    """The FTS5 table and triggers, as sqlite-utils' ``enable_fts`` creates
    them (``create_triggers=True``), taken from a scratch in-memory copy of
    the indexed columns: there its fill (``populate_fts``) is instant, where
    on a real store it would be one transaction over every output."""
    import sqlite_utils  # deferred: see the module docstring

    scratch = sqlite_utils.Database(memory=True)
    cols = ", ".join(f"{c} TEXT" for c in COLUMNS)
    scratch.execute(f"CREATE TABLE outputs (rowid INTEGER PRIMARY KEY, {cols})")
    scratch["outputs"].enable_fts(list(COLUMNS), create_triggers=True, tokenize=TOKENIZE)
    rows = scratch.execute(
        "SELECT name, sql FROM sqlite_master WHERE (type = 'table' AND name = ?) "
        "OR type = 'trigger' ORDER BY type = 'trigger', name", (FTS_TABLE,)).fetchall()
    scratch.close()
    return [text_update_trigger(sql) if name == UPDATE_TRIGGER else sql for name, sql in rows]


def text_update_trigger(sql: str) -> str:
    """sqlite-utils' update trigger made to fire on the indexed columns only."""
    new, n = _ANY_UPDATE.subn(_TEXT_UPDATE, sql, count=1)
    if n != 1:  # sqlite-utils changed its DDL: fail here, not on every reprice
        raise RuntimeError(f"unexpected full-text update trigger: {sql!r}")
    return new


def trigger_outdated(conn: sqlite3.Connection) -> bool:
    """Whether the index's update trigger fires on any update of ``outputs``
    (one made before the trigger was limited to the text columns)."""
    row = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ? "
                       "AND tbl_name = 'outputs'", (UPDATE_TRIGGER,)).fetchone()
    return row is not None and _ANY_UPDATE.search(row[0]) is not None


def replace_trigger(conn: sqlite3.Connection) -> bool:
    """Replace an outdated update trigger (the caller holds ``db.write``);
    the index itself is unchanged. Returns whether it did."""
    if not trigger_outdated(conn):
        return False
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
                       (UPDATE_TRIGGER,)).fetchone()[0]
    conn.execute(f'DROP TRIGGER "{UPDATE_TRIGGER}"')
    conn.execute(text_update_trigger(sql))
    return True


def enable(conn: sqlite3.Connection, *, now: float | None = None) -> SearchStatus:
    """Create the index and its triggers and record the outputs to fill (the
    caller holds ``db.write``). The newest :data:`FIRST_BATCH` of them are
    indexed in the same transaction: the only updates to an output (OTLP
    content arriving after its span) come within seconds of its insert, and an
    update of an output the index does not hold yet would remove words it
    never had."""
    if _has(conn, "table", FTS_TABLE):
        return status(conn)
    for stmt in index_ddl():
        conn.execute(stmt)
    target, total = conn.execute("SELECT COALESCE(MAX(rowid), 0), COUNT(*) FROM outputs").fetchone()
    conn.execute("DELETE FROM search_build")
    conn.execute(
        "INSERT INTO search_build (id, target_rowid, next_rowid, total, done, started_at) "
        "VALUES (1, ?, ?, ?, 0, ?)", (target, target, total, time.time() if now is None else now))
    _fill(conn, FIRST_BATCH, now)
    return status(conn)


def disable(conn: sqlite3.Connection) -> bool:
    """Drop the index and its triggers (sqlite-utils' ``disable_fts``); the
    outputs keep their text. Returns whether there was one."""
    import sqlite_utils  # deferred: see the module docstring

    if not _has(conn, "table", FTS_TABLE):
        return False
    # recursive_triggers stays as evaltop set it: sqlite-utils turns it on by default,
    # and REPLACE would then fire delete triggers on this (shared) connection
    sqlite_utils.Database(conn, recursive_triggers=False)["outputs"].disable_fts()
    conn.execute("DELETE FROM search_build")
    return True


def build_step(conn: sqlite3.Connection, batch: int = 5_000,
               now: float | None = None) -> SearchStatus:
    """Index up to ``batch`` more of the outputs that existed when search was
    turned on (the caller holds ``db.write``)."""
    if status(conn).ready:
        return status(conn)
    _fill(conn, batch, now)
    return status(conn)


def _fill(conn: sqlite3.Connection, batch: int, now: float | None) -> None:
    row = conn.execute("SELECT next_rowid FROM search_build WHERE id = 1 "
                       "AND finished_at IS NULL").fetchone()
    if row is None:
        return
    hi = row[0]
    lo = conn.execute(
        "SELECT MIN(r) FROM (SELECT rowid AS r FROM outputs WHERE rowid <= ? "
        "ORDER BY rowid DESC LIMIT ?)", (hi, batch)).fetchone()[0]
    cols = ", ".join(COLUMNS)
    n = 0
    if lo is not None:
        n = conn.execute(
            f"INSERT INTO {FTS_TABLE} (rowid, {cols}) SELECT rowid, {cols} FROM outputs "
            f"WHERE rowid BETWEEN ? AND ? AND rowid NOT IN "  # a trigger may have been first
            f"(SELECT id FROM {FTS_TABLE}_docsize WHERE id BETWEEN ? AND ?)",
            (lo, hi, lo, hi)).rowcount
    finished = lo is None or lo <= 1 or not conn.execute(
        "SELECT 1 FROM outputs WHERE rowid < ? LIMIT 1", (lo,)).fetchone()
    conn.execute(
        "UPDATE search_build SET next_rowid = ?, done = MIN(total, done + ?), "
        "finished_at = CASE WHEN ? THEN ? END WHERE id = 1",
        ((lo or 1) - 1, n, finished, time.time() if now is None else now))


# ---------------------------------------------------------------- queries

_TOKEN = re.compile(r'"[^"]*"?|[()]|[^\s()"]+')
_BARE = re.compile(r"\^?\w+\*?", re.UNICODE)
_COLUMN = re.compile(r"(\w+):(.*)", re.UNICODE)
_OPERATORS = {"AND", "OR", "NOT", "NEAR"}


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def fts_query(text: str) -> str:
    """The FTS5 query for what a user typed. Words and quoted phrases keep
    their meaning, as do AND, OR, NOT, NEAR, parentheses, ``prefix*`` and
    ``input_text:word``; a token FTS5 would misread (``order-123``,
    ``a@b.com``, ``it's``) is searched as the phrase it spells."""
    out = []
    for tok in _TOKEN.findall(text):
        if tok.startswith('"') or tok in ("(", ")") or tok in _OPERATORS or _BARE.fullmatch(tok):
            out.append(tok)
            continue
        m = _COLUMN.fullmatch(tok)
        if m and m.group(1) in COLUMNS:
            rest = m.group(2)
            out.append(f"{m.group(1)}:" + (rest if not rest or _BARE.fullmatch(rest)
                                           or rest.startswith('"') else _quote(rest)))
        else:
            out.append(_quote(tok))
    return " ".join(out)


def check_query(query: str) -> None:
    """Raise :class:`SearchQueryError` with a one-line reason when FTS5 cannot
    parse ``query`` (checked against an empty in-memory table: no I/O)."""
    if not query.strip():
        raise SearchQueryError("search: type a word to search for")
    scratch = sqlite3.connect(":memory:")
    try:
        scratch.execute(f"CREATE VIRTUAL TABLE t USING fts5({', '.join(COLUMNS)}, "
                        f"tokenize='{TOKENIZE}')")
        scratch.execute("SELECT rowid FROM t WHERE t MATCH ?", (query,)).fetchall()
    except sqlite3.OperationalError as exc:
        raise SearchQueryError(explain(str(exc))) from None
    finally:
        scratch.close()


def explain(message: str) -> str:
    """FTS5's parse error as a line a user can act on."""
    if message == "unterminated string":
        return 'search: a " is not closed (close the quote)'
    if message == 'fts5: syntax error near ""':
        return ("search: the query ends where a word was expected "
                "(after NOT, AND, OR, NEAR or an open parenthesis)")
    m = re.fullmatch(r'fts5: syntax error near "(.*)"', message)
    if m:
        return (f"search: syntax error near {m.group(1)!r}: NOT, AND and OR join two terms "
                '(refund NOT shipped); put a word in "quotes" to search for it as typed')
    m = re.fullmatch(r"no such column: (.*)", message)
    if m:
        return f"search: no column {m.group(1)!r}: columns are {', '.join(COLUMNS)}"
    return f"search: {message}"


def is_query_error(exc: sqlite3.OperationalError) -> bool:
    """An error FTS5 raises for the query itself (not the database)."""
    text = str(exc)
    return text.startswith(("fts5:", "no such column:")) or text == "unterminated string"


def newest_matches(conn: sqlite3.Connection, query: str, n: int) -> tuple[list[int], bool]:
    """The rowids of the ``n`` newest stored outputs matching ``query`` and
    whether more match: the set a search sorted by model or task sorts
    (store/cases.py ``SORT_CAP``). One walk of the index, rowids only."""
    try:
        rows = conn.execute(
            f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ? "
            f"ORDER BY rowid DESC LIMIT ?", (query, n + 1)).fetchall()
    except sqlite3.OperationalError as exc:
        if is_query_error(exc):
            raise SearchQueryError(explain(str(exc))) from None
        raise
    return [r[0] for r in rows[:n]], len(rows) > n
