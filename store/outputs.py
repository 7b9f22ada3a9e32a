"""Writes and reads of ``outputs``, ``feedback`` and ``rejects``.

Rows arrive as plain tuples in the column orders below (the ingest pipeline
builds them once per record); inserts run inside the caller's ``write()``
transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

from evaltop.store import search as store_search

OUTPUT_COLUMNS = (
    "id", "ts", "source", "format", "model", "provider", "task", "prompt_version", "variant",
    "input_text", "input_json", "input_hash", "output_text", "finish_reason",
    "input_tokens", "output_tokens", "cached_input_tokens", "cache_write_tokens",
    "reasoning_tokens", "usage_estimated", "cost_pusd", "cost_source", "latency_ms",
    "confidence", "error", "tags_json", "metadata_json", "ingested_at",
    "cache_write_1h_tokens", "batch", "service_tier", "price_entry", "price_fallback",
)
FEEDBACK_COLUMNS = (
    "id", "output_id", "ts", "name", "value_num", "value_text", "source", "ingested_at",
)
REJECT_COLUMNS = ("source", "file", "line_no", "byte_offset", "reason", "head", "ts")

_INSERT_OUTPUT = (
    f"INSERT INTO outputs ({', '.join(OUTPUT_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(OUTPUT_COLUMNS))})"
)
_INSERT_FEEDBACK = (
    f"INSERT INTO feedback ({', '.join(FEEDBACK_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(FEEDBACK_COLUMNS))})"
)
_INSERT_REJECT = (
    f"INSERT INTO rejects ({', '.join(REJECT_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(REJECT_COLUMNS))})"
)
_CHUNK = 500  # stays far below SQLite's host-parameter limit


def existing_ids(conn: sqlite3.Connection, table: str, ids: Sequence[str]) -> set[str]:
    """Which of ``ids`` are already stored in ``table`` ("outputs"/"feedback")."""
    if table not in ("outputs", "feedback"):
        raise ValueError(f"no id lookup for table {table!r}")
    return _present(conn, f"SELECT id FROM {table} WHERE id", ids)


def _present(conn: sqlite3.Connection, select: str, keys: Sequence) -> set:
    """The keys ``select`` (``SELECT k FROM t WHERE k``) finds, in chunks of IN (...)."""
    found: set = set()
    for i in range(0, len(keys), _CHUNK):
        chunk = keys[i : i + _CHUNK]
        found.update(r[0] for r in conn.execute(f"{select} IN ({', '.join('?' * len(chunk))})",
                                                chunk))
    return found


def insert_outputs(conn: sqlite3.Connection, rows: Iterable[tuple]) -> None:
    """Rows laid out as OUTPUT_COLUMNS, ids not yet stored (check first)."""
    conn.executemany(_INSERT_OUTPUT, rows)


def insert_feedback(conn: sqlite3.Connection, rows: Iterable[tuple]) -> None:
    conn.executemany(_INSERT_FEEDBACK, rows)


def insert_rejects(conn: sqlite3.Connection, rows: Iterable[tuple]) -> None:
    conn.executemany(_INSERT_REJECT, rows)


def max_reject_rowid(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COALESCE(MAX(rowid), 0) FROM rejects").fetchone()[0])


def reject_reasons(
    conn: sqlite3.Connection, *, after_rowid: int = 0, limit: int = 5
) -> list[tuple]:
    """Top reasons among rejects newer than ``after_rowid``:
    (reason, count, file of the first, line_no of the first)."""
    return conn.execute(
        "SELECT reason, COUNT(*) AS n, "
        "(SELECT file FROM rejects r2 WHERE r2.reason = r.reason AND r2.rowid > ?"
        " ORDER BY rowid LIMIT 1), "
        "(SELECT line_no FROM rejects r2 WHERE r2.reason = r.reason AND r2.rowid > ?"
        " ORDER BY rowid LIMIT 1) "
        "FROM rejects r WHERE rowid > ? GROUP BY reason ORDER BY n DESC, reason LIMIT ?",
        (after_rowid, after_rowid, after_rowid, limit),
    ).fetchall()


def _reject_where(since: float | None, source: str | None, after_rowid: int) -> tuple[str, list]:
    sql, args = "rowid > ?", [after_rowid]
    if since is not None:
        sql, args = sql + " AND ts >= ?", [*args, since]
    if source is not None:
        sql, args = sql + " AND source = ?", [*args, source]
    return sql, args


def rejects(conn: sqlite3.Connection, *, since: float | None = None, source: str | None = None,
            limit: int = 50) -> list[tuple]:
    """Stored rejects, newest first: (source, file, line_no, reason, ts)."""
    where, args = _reject_where(since, source, 0)
    return conn.execute(
        f"SELECT source, file, line_no, reason, ts FROM rejects WHERE {where} "
        "ORDER BY rowid DESC LIMIT ?", (*args, limit),
    ).fetchall()


def reject_reason_counts(conn: sqlite3.Connection, *, since: float | None = None,
                         source: str | None = None, after_rowid: int = 0,
                         limit: int = 50) -> list[tuple]:
    """Every reason (most frequent first): (reason, count, file, line_no of
    the first); ``limit`` reasons at most."""
    where, args = _reject_where(since, source, after_rowid)
    # with MIN() the bare columns come from the row holding the minimum (SQLite's rule)
    rows = conn.execute(
        f"SELECT reason, COUNT(*) AS n, file, line_no, MIN(rowid) FROM rejects WHERE {where} "
        "GROUP BY reason ORDER BY n DESC, reason LIMIT ?", (*args, limit),
    ).fetchall()
    return [tuple(r)[:4] for r in rows]


def count_reject_reasons(conn: sqlite3.Connection, *, after_rowid: int = 0) -> int:
    """How many distinct reasons rejects newer than ``after_rowid`` have."""
    return int(conn.execute(
        "SELECT COUNT(DISTINCT reason) FROM rejects WHERE rowid > ?", (after_rowid,)
    ).fetchone()[0])


def reject_page(conn: sqlite3.Connection, *, since: float | None, source: str | None,
                after_rowid: int, max_rowid: int, limit: int) -> list[tuple]:
    """Rejects with after_rowid < rowid <= max_rowid, oldest first, for a
    retry: (rowid, source, file, line_no, byte_offset, reason, head)."""
    where, args = _reject_where(since, source, after_rowid)
    return conn.execute(
        "SELECT rowid, source, file, line_no, byte_offset, reason, head FROM rejects "
        f"WHERE {where} AND rowid <= ? ORDER BY rowid LIMIT ?", (*args, max_rowid, limit),
    ).fetchall()


def live_rejects(conn: sqlite3.Connection, rowids: Sequence[int]) -> set[int]:
    """Which of ``rowids`` are still in ``rejects``."""
    return _present(conn, "SELECT rowid FROM rejects WHERE rowid", rowids)


def delete_rejects(conn: sqlite3.Connection, rowids: Iterable[int]) -> None:
    conn.executemany("DELETE FROM rejects WHERE rowid = ?", [(r,) for r in rowids])


def set_reject_reasons(conn: sqlite3.Connection, rows: Iterable[tuple[str, int]]) -> None:
    """(reason, rowid) pairs: the reason a line fails with now."""
    conn.executemany("UPDATE rejects SET reason = ? WHERE rowid = ?", rows)


def count_in_window(conn: sqlite3.Connection, table: str, since: float | None, until: float) -> int:
    """Rows of ``outputs``/``feedback``/``rejects`` with since <= ts < until."""
    if table not in ("outputs", "feedback", "rejects"):
        raise ValueError(f"no window count for table {table!r}")
    lo = float("-inf") if since is None else since
    sql = f"SELECT COUNT(*) FROM {table} WHERE ts >= ? AND ts < ?"
    return int(conn.execute(sql, (lo, until)).fetchone()[0])


def judge_cost_in_window(
    conn: sqlite3.Connection, since: float | None, until: float
) -> tuple[int, int, int, int]:
    """(calls, input_tokens, output_tokens, cost_pusd) of judge_calls with
    since <= ts < until."""
    lo = float("-inf") if since is None else since
    row = conn.execute(
        "SELECT COUNT(*), COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0), "
        "COALESCE(SUM(cost_pusd), 0) FROM judge_calls WHERE ts >= ? AND ts < ?",
        (lo, until),
    ).fetchone()
    return int(row[0]), int(row[1]), int(row[2]), int(row[3])


def latest(
    conn: sqlite3.Connection, *, limit: int = 20, failing: bool = False, search: str = ""
) -> list[sqlite3.Row]:
    """Newest outputs first (ts, model, task, output_text, error and
    ``failed_judges``: the judges that failed it, comma-separated, or NULL);
    ``failing`` keeps outputs with at least one failed score (scores.passed =
    0); ``search`` keeps those matching an FTS5 query (store/search.py)."""
    where, args = [], []
    if failing:
        where.append("EXISTS (SELECT 1 FROM scores s WHERE s.output_id = o.id AND s.passed = 0)")
    source, order = "outputs o", "o.ts DESC, o.rowid DESC"
    if search:  # the newest stored first, streamed from the index (store/cases.py _order)
        source = f"{store_search.FTS_TABLE} f CROSS JOIN outputs o ON o.rowid = f.rowid"
        order = "f.rowid DESC"
        where.insert(0, f"f.{store_search.FTS_TABLE} MATCH ?")
        args.append(search)
    cond = "WHERE " + " AND ".join(where) if where else ""
    try:
        return conn.execute(
            "SELECT o.id, o.ts, o.model, o.task, substr(o.output_text, 1, 400) AS output_text, "
            "o.error, (SELECT group_concat(judge, ', ') FROM (SELECT DISTINCT s.judge "
            "FROM scores s WHERE s.output_id = o.id AND s.passed = 0 ORDER BY s.judge)) "
            "AS failed_judges "
            f"FROM {source} {cond} ORDER BY {order} LIMIT ?",
            (*args, limit),
        ).fetchall()
    except sqlite3.OperationalError as exc:
        if search and store_search.is_query_error(exc):
            raise store_search.SearchQueryError(store_search.explain(str(exc))) from None
        raise


def billing_rows(conn: sqlite3.Connection, since: float | None,
                 until: float) -> Iterable[sqlite3.Row]:
    """The billing columns of every output in [since, until), streamed (the
    pricing engine re-explains each: ``evaltop spend --by bucket``)."""
    return conn.execute(
        """SELECT model, ts, input_tokens, output_tokens, cached_input_tokens,
                  cache_write_tokens, cache_write_1h_tokens, reasoning_tokens, batch,
                  service_tier, cost_pusd, cost_source
           FROM outputs WHERE ts >= COALESCE(?, ts) AND ts < ?""",
        (since, until),
    )


# --- repricing (core/ingest/reprice.py) ---------------------------------------
PRICING_COLUMNS = (
    "rowid", "ts", "model", "task", "prompt_version", "variant", "input_tokens", "output_tokens",
    "cached_input_tokens", "cache_write_tokens", "cache_write_1h_tokens", "reasoning_tokens",
    "batch", "service_tier", "cost_pusd", "cost_source", "price_entry", "price_fallback",
)


def pricing_rows(conn: sqlite3.Connection, after_rowid: int, since: float | None, until: float,
                 limit: int) -> list[sqlite3.Row]:
    """The next ``limit`` outputs (by rowid) with ``since <= ts < until``: what
    pricing reads, as rows by column name."""
    cur = conn.execute(
        f"SELECT {', '.join(PRICING_COLUMNS)} FROM outputs WHERE rowid > ? AND ts >= ? "
        "AND ts < ? ORDER BY rowid LIMIT ?",
        (after_rowid, float("-inf") if since is None else since, until, limit),
    )
    cur.row_factory = sqlite3.Row
    return cur.fetchall()


def set_costs(conn: sqlite3.Connection, updates: Iterable[tuple]) -> None:
    """``(cost_pusd, cost_source, price_entry, price_fallback, rowid)`` each."""
    conn.executemany(
        "UPDATE outputs SET cost_pusd = ?, cost_source = ?, price_entry = ?, price_fallback = ? "
        "WHERE rowid = ?", updates)


def pricing_in_window(conn: sqlite3.Connection, since: float | None,
                      until: float) -> list[sqlite3.Row]:
    """Outputs with ``since <= ts < until`` counted per (model, price_entry,
    cost_source, price_fallback): which entry priced what, and by which rule."""
    return conn.execute(
        "SELECT model, price_entry, cost_source, price_fallback, COUNT(*) AS outputs, "
        "SUM(cost_pusd IS NULL) AS unpriced FROM outputs WHERE ts >= ? AND ts < ? "
        "GROUP BY model, price_entry, cost_source, price_fallback ORDER BY model",
        (float("-inf") if since is None else since, until),
    ).fetchall()
