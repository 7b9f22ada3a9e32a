"""One case and pages of cases: an output with its scores, feedback, label and
sample, and keyset pages over ``outputs`` under a :class:`CaseFilter`."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from evaltop.store import case_search
from evaltop.store import search as store_search


def output_by_id(conn: sqlite3.Connection, output_id: str) -> dict | None:
    row = conn.execute("SELECT * FROM outputs WHERE id = ?", (output_id,)).fetchone()
    return dict(row) if row else None


def scores_for(conn: sqlite3.Connection, output_id: str) -> list[dict]:
    rows = conn.execute(
        """SELECT judge, kind, status, score, passed, reason, error, same_family, created_at
           FROM scores WHERE output_id = ? ORDER BY kind, judge""",
        (output_id,),
    ).fetchall()
    return [dict(r) for r in rows]


def feedback_for(conn: sqlite3.Connection, output_id: str) -> list[dict]:
    rows = conn.execute(
        """SELECT ts, name, value_num, value_text, source FROM feedback
           WHERE output_id = ? ORDER BY ts, rowid""",
        (output_id,),
    ).fetchall()
    return [dict(r) for r in rows]


def label_for(conn: sqlite3.Connection, output_id: str) -> dict | None:
    row = conn.execute("SELECT * FROM labels WHERE output_id = ?", (output_id,)).fetchone()
    return dict(row) if row else None


def sample_for(conn: sqlite3.Connection, output_id: str) -> dict | None:
    row = conn.execute("SELECT * FROM samples WHERE output_id = ?", (output_id,)).fetchone()
    return dict(row) if row else None


# ---------------------------------------------------------------- cases list


@dataclass(frozen=True)
class CaseFilter:
    """What the cases list shows. ``failing`` lists failed verdicts (one row
    per output and judge); otherwise every output with its worst verdict."""

    failing: bool = True
    text: str = ""
    model: str | None = None
    task: str | None = None
    judge: str | None = None
    prompt_version: str | None = None
    variant: str | None = None
    since: float | None = None
    sort: str = "newest"
    search: str = ""  # an FTS5 query over input and output (store/search.py fts_query)


SORTS = ("newest", "oldest", "model", "task")
# A search sorted by model or task sorts at most this many matches, the newest
# stored: FTS5 hands out its matches in rowid order only, so any other order
# sorts every one (1-3 s for a common word at 1M outputs). 2,000 rowids come from
# one walk of the index and are sorted in 5-20 ms (a phrase; 5,000: 35-50 ms).
SORT_CAP = 2_000
_MATCHED = "json_each(?) m CROSS JOIN outputs o ON o.rowid = m.value"  # those matches, by rowid



def _order(f: CaseFilter) -> tuple[list[str], str]:
    """Sort columns and their one direction. One direction for all columns lets
    the keyset be a row-value comparison that SQLite turns into an index range
    (mixed directions or an OR-expanded keyset make it sort the whole table).

    A search sorted newest or oldest is walked in the order the index holds
    its matches, the order outputs were stored (store/case_search.py): the
    newest stored first, which for tailed logs is the newest; a backfill of
    older logs lists by when it was stored. Any other order would sort every
    match (seconds for a common word at 1M outputs; docs/search.md)."""
    if _search_driven(f):
        return (["o.rowid", "s.rowid"] if f.failing else ["o.rowid"],
                "DESC" if f.sort == "newest" else "ASC")
    ts, rid = ("s.output_ts", "s.rowid") if f.failing else ("o.ts", "o.rowid")
    return {
        "newest": ([ts, rid], "DESC"),
        "oldest": ([ts, rid], "ASC"),
        "model": (["o.model", ts, rid], "DESC"),  # grouped by model, newest first in each
        "task": (["o.task", ts, rid], "DESC"),
    }[f.sort]


def _search_driven(f: CaseFilter) -> bool:
    return bool(f.search) and f.sort in ("newest", "oldest")


def cases_page(
    conn: sqlite3.Connection,
    f: CaseFilter,
    *,
    after: tuple | None = None,
    limit: int = 200,
    reverse: bool = False,
    budget: float | None = None,
) -> list[dict]:
    """One page of the cases list after keyset ``after`` (a row's ``key``).

    ``reverse`` walks the same order backwards (the previous case/page); the
    rows then come nearest-first. Each row carries ``key`` for the next call.
    """
    if f.sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}, got {f.sort!r}")
    cols, direction = _order(f)
    if reverse:
        direction = "ASC" if direction == "DESC" else "DESC"
    if _search_driven(f):
        try:
            return case_search.search_page(conn, f, after=after, limit=limit,
                                           direction=direction, budget=budget)
        except sqlite3.OperationalError as exc:
            if store_search.is_query_error(exc):
                raise store_search.SearchQueryError(store_search.explain(str(exc))) from None
            raise
    capped = False
    args: list[Any] = []
    if f.search:  # sorted by model or task: the newest SORT_CAP matches, from the index
        rowids, capped = store_search.newest_matches(conn, f.search, SORT_CAP)
        args.append(json.dumps(rowids))  # the source's parameter, first in the statement
    cond, cargs, verdict, vargs = case_search.conditions(f)
    where = verdict + cond
    args += vargs + cargs
    if after is not None:
        if len(after) != len(cols):
            raise ValueError(f"keyset {after!r} does not match sort {f.sort!r}")
        op = "<" if direction == "DESC" else ">"
        where.append(f"({', '.join(cols)}) {op} ({', '.join('?' * len(cols))})")
        args += list(after)
    keys = ", ".join(f"{c} AS k{i}" for i, c in enumerate(cols))
    order = ", ".join(f"{c} {direction}" for c in cols)
    cond = "WHERE " + " AND ".join(where) if where else ""
    fields = case_search.FIELDS
    if f.failing:  # one row per failed verdict, walked on the (passed, output_ts) index
        source = ("scores s JOIN outputs o ON o.id = s.output_id" if not f.search else
                  f"{_MATCHED} CROSS JOIN scores s ON s.output_id = o.id")
        sql = f"""SELECT {keys}, 's' || s.rowid AS row_key, {fields}
                  FROM {source} {cond}
                  ORDER BY {order} LIMIT ?"""
    else:  # page the outputs alone on their index, then attach each one's worst verdict
        judge_only = "AND x.judge = ?" if f.judge else ""
        source = "outputs o" if not f.search else _MATCHED
        inner_keys = ", ".join(f"{c} AS k{i}" for i, c in enumerate(cols))
        outer_order = ", ".join(f"p.k{i} {direction}" for i in range(len(cols)))
        sql = f"""SELECT {", ".join(f"p.k{i} AS k{i}" for i in range(len(cols)))},
                         'o' || o.rowid AS row_key, {fields}
                  FROM (SELECT o.rowid AS r, {inner_keys} FROM {source} {cond}
                        ORDER BY {order} LIMIT ?) p
                  JOIN outputs o ON o.rowid = p.r
                  LEFT JOIN scores s ON s.rowid = (
                      SELECT x.rowid FROM scores x WHERE x.output_id = o.id {judge_only}
                      ORDER BY x.passed IS NOT 0, x.score LIMIT 1)
                  ORDER BY {outer_order}"""
    args.append(limit)
    if not f.failing and f.judge:
        args.append(f.judge)
    try:
        rows = conn.execute(sql, args).fetchall()
    except sqlite3.OperationalError as exc:
        if f.search and store_search.is_query_error(exc):
            raise store_search.SearchQueryError(store_search.explain(str(exc))) from None
        raise
    out = case_search.Found(_keyed(rows, len(cols)))
    out.capped = capped
    return out


def _keyed(rows: list, n: int) -> list[dict]:
    out = []
    for r in rows:
        d = dict(r)
        d["key"] = tuple(d.pop(f"k{i}") for i in range(n))
        out.append(d)
    return out

