"""Pages of a search listed in stored order (sort newest or oldest): the
index streams its matches in rowid order, each is checked against the other
filters, and a page ends when it is full, when the matches run out, or when
its time budget is spent (docs/search.md).

A filter that few matches pass (failing verdicts: ~3% of outputs; a rare
phrase within one task) makes the index hand out thousands of matches for one
page; at 1M outputs that took 50-300 ms. With a budget the page stops there
with the rows it found and ``resume``, the keyset the next page starts from
(every match before it was looked at), so a slow page is never a silent wait:
the list says how far back it searched and ``]`` goes on.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from evaltop.store.search import FTS_TABLE

# ASC keyset for "after this output, all its verdicts": above any verdict rowid
_LAST = 2**63 - 1
_CHECK_EVERY = 32  # matches between two looks at the clock

FIELDS = """o.rowid AS rowid, o.id AS id, o.ts AS ts, o.model AS model, o.task AS task,
            o.prompt_version AS prompt_version, o.variant AS variant,
            substr(o.output_text, 1, 400) AS head, o.error AS error, s.judge AS judge,
            s.score AS score, s.passed AS passed, s.status AS status, s.reason AS reason"""


class Found(list):
    """Rows of a search page. ``resume`` is set when the budget ended the page
    before it was full: the keyset to go on from; ``reached_ts`` is the time
    of the last output looked at (how far back the page searched).
    (store/cases.py returns it for a search sorted by model or task too.)"""

    resume: tuple | None = None
    reached_ts: float | None = None
    capped: bool = False  # sorted by model or task: only the newest SORT_CAP matches


def like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def conditions(f: Any) -> tuple[list[str], list[Any], list[str], list[Any]]:
    """(conditions on the output, their args, conditions on a failed verdict, args):
    the filters of a Cases page, for this module and store/cases.py alike."""
    cond: list[str] = []
    args: list[Any] = []
    for col, value in (("o.model", f.model), ("o.task", f.task),
                       ("o.prompt_version", f.prompt_version), ("o.variant", f.variant)):
        if value is not None:
            cond.append(f"{col} = ?")
            args.append(value)
    if f.text:
        cond.append("(o.id = ? OR o.output_text LIKE ? ESCAPE '\\' "
                    "OR o.input_text LIKE ? ESCAPE '\\')")
        args += [f.text, like(f.text), like(f.text)]
    verdict: list[str] = []
    vargs: list[Any] = []
    if f.failing:
        verdict.append("s.passed = 0")
        if f.judge:
            verdict.append("s.judge = ?")
            vargs.append(f.judge)
        if f.since is not None:
            verdict.append("s.output_ts >= ?")
            vargs.append(f.since)
    else:
        if f.judge:
            cond.append("EXISTS (SELECT 1 FROM scores x WHERE x.output_id = o.id AND x.judge = ?)")
            args.append(f.judge)
        if f.since is not None:
            cond.append("o.ts >= ?")
            args.append(f.since)
    return cond, args, verdict, vargs


def search_page(conn: sqlite3.Connection, f: Any, *, after: tuple | None, limit: int,
                direction: str, budget: float | None = None) -> Found:
    """One page of search ``f`` (a store.cases.CaseFilter) in stored order.
    Keys: (output rowid,) for outputs, (output rowid, verdict rowid) for
    failing verdicts. ``budget`` (seconds) bounds the walk of the matches."""
    keylen = 2 if f.failing else 1
    if after is not None and len(after) != keylen:
        raise ValueError(f"keyset {after!r} does not match a search in stored order")
    cond, cargs, verdict, vargs = conditions(f)
    has_failed = " AND ".join(verdict)
    if f.failing:
        cond.append(f"EXISTS (SELECT 1 FROM scores s WHERE s.output_id = o.id AND {has_failed})")
        cargs += vargs
    # every match is handed out, kept or not, so the clock is looked at while it walks
    keep = f"CASE WHEN {' AND '.join(cond)} THEN 1 ELSE 0 END" if cond else "1"
    op = "<" if direction == "DESC" else ">"
    where = [f"f.{FTS_TABLE} MATCH ?"]
    wargs: list[Any] = [f.search]
    if after is not None:  # an output of a failing key may have more verdicts: include it
        where.append(f"f.rowid {op}{'=' if f.failing else ''} ?")
        wargs.append(after[0])
    walk = conn.execute(
        f"SELECT f.rowid, o.ts, {keep} FROM {FTS_TABLE} f "
        f"CROSS JOIN outputs o ON o.rowid = f.rowid "
        f"WHERE {' AND '.join(where)} ORDER BY f.rowid {direction}", [*cargs, *wargs])
    want = limit + 1 if f.failing else limit  # a failing key's output may be used up
    kept: list[int] = []
    last: tuple | None = None
    stopped = False
    started = time.perf_counter()
    seen = 0
    try:
        for rowid, ts, ok in walk:
            last = (rowid, ts)
            if ok:
                kept.append(rowid)
                if len(kept) >= want:
                    break
            seen += 1
            if (budget is not None and seen % _CHECK_EVERY == 0
                    and time.perf_counter() - started > budget):
                stopped = True
                break
    finally:
        walk.close()
    out = Found(_rows(conn, f, kept, after, limit, direction, has_failed, vargs))
    if last is not None:
        out.reached_ts = last[1]
    if stopped and len(out) < limit:
        out.resume = ((last[0], 0 if direction == "DESC" else _LAST) if f.failing
                      else (last[0],))
    return out


def _rows(conn: sqlite3.Connection, f: Any, kept: list[int], after: tuple | None, limit: int,
          direction: str, has_failed: str, vargs: list[Any]) -> list[dict]:
    if not kept:
        return []
    marks = ", ".join("?" * len(kept))
    if f.failing:
        outer = [f"o.rowid IN ({marks})", has_failed]
        args: list[Any] = [*kept, *vargs]
        if after is not None:
            outer.append(f"(o.rowid, s.rowid) {'<' if direction == 'DESC' else '>'} (?, ?)")
            args += list(after)
        sql = f"""SELECT o.rowid AS k0, s.rowid AS k1, 's' || s.rowid AS row_key, {FIELDS}
                  FROM outputs o CROSS JOIN scores s ON s.output_id = o.id
                  WHERE {" AND ".join(outer)}
                  ORDER BY o.rowid {direction}, s.rowid {direction} LIMIT ?"""
        args.append(limit)
    else:
        judge_only = "AND x.judge = ?" if f.judge else ""
        sql = f"""SELECT o.rowid AS k0, 'o' || o.rowid AS row_key, {FIELDS}
                  FROM outputs o
                  LEFT JOIN scores s ON s.rowid = (
                      SELECT x.rowid FROM scores x WHERE x.output_id = o.id {judge_only}
                      ORDER BY x.passed IS NOT 0, x.score LIMIT 1)
                  WHERE o.rowid IN ({marks}) ORDER BY o.rowid {direction}"""
        args = ([f.judge] if f.judge else []) + kept
    out = []
    for r in conn.execute(sql, args).fetchall():
        d = dict(r)
        d["key"] = tuple(d.pop(f"k{i}") for i in range(2 if f.failing else 1))
        out.append(d)
    return out
