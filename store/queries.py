"""Dashboard SQL: aggregates from ``rollup_hourly`` and indexes, and the cases
list paged by keyset (never OFFSET).

Every function takes an open connection and plain values and returns plain
rows. Column and sort names come from fixed maps below, never from input.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass
from typing import Any

from evaltop.store.inference_queries import (  # noqa: F401 - the dashboard's inference reads, re-exported
    DAY,
    HOUR,
    SUMS,
    count_outputs_since,
    inference_by,
    inference_totals,
    spend_in,
    unpriced_models,
)

# ---------------------------------------------------------------- judging


def judge_pass_counts(conn: sqlite3.Connection, since: float | None, until: float) -> list[dict]:
    """Per judge: verdicts, passes, errors over outputs in the window."""
    rows = conn.execute(
        """SELECT judge, kind, count(*) AS n, coalesce(sum(passed = 1),0) AS passed,
                  coalesce(sum(passed = 0),0) AS failed, coalesce(sum(status = 'error'),0) AS errors,
                  avg(score) AS mean_score
           FROM scores WHERE output_ts >= ? AND output_ts < ?
           GROUP BY judge, kind ORDER BY judge""",
        (-1e18 if since is None else since, until),
    ).fetchall()
    return [dict(r) for r in rows]


def judged_outputs(conn: sqlite3.Connection, since: float | None, until: float) -> int:
    return conn.execute(
        "SELECT count(*) FROM samples WHERE status = 'done' AND output_ts >= ? AND output_ts < ?",
        (-1e18 if since is None else since, until),
    ).fetchone()[0]


def judges_in(conn: sqlite3.Connection, since: float, until: float) -> list[str]:
    """Judges with a verdict on an output in the window: a skip-scan over the
    (judge, output_ts) index, one probe per judge, never a table scan."""
    judges = [r[0] for r in conn.execute(
        """WITH RECURSIVE j(name) AS (
               SELECT min(judge) FROM scores
               UNION ALL
               SELECT (SELECT min(judge) FROM scores WHERE judge > j.name) FROM j WHERE j.name IS NOT NULL)
           SELECT name FROM j WHERE name IS NOT NULL""").fetchall()]
    return [j for j in judges if conn.execute(
        "SELECT 1 FROM scores WHERE judge = ? AND output_ts >= ? AND output_ts < ? LIMIT 1",
        (j, since, until)).fetchone()]


_TREND_BY = {"model": "o.model", "task": "o.task"}


def pass_buckets(
    conn: sqlite3.Connection, since: float, until: float, bucket_s: int, by: str = "judge"
) -> list[dict]:
    """Pass counts per (series, time bucket); ``by`` is judge, model or task.
    Per judge, each judge is one range over the (judge, output_ts) index."""
    if by == "judge":
        out: list[dict] = []
        for judge in judges_in(conn, since, until):
            out += [dict(r) for r in conn.execute(
                """SELECT judge AS series, CAST(output_ts / ? AS INTEGER) * ? AS bucket,
                          count(*) AS n, sum(passed = 1) AS passed
                   FROM scores WHERE judge = ? AND output_ts >= ? AND output_ts < ? AND status = 'ok'
                   GROUP BY bucket ORDER BY bucket""",
                (bucket_s, bucket_s, judge, since, until)).fetchall()]
        return out
    expr = _TREND_BY[by]
    rows = conn.execute(
        f"""SELECT {expr} AS series, CAST(s.output_ts / ? AS INTEGER) * ? AS bucket,
                   count(*) AS n, sum(s.passed = 1) AS passed
            FROM scores s JOIN outputs o ON o.id = s.output_id
            WHERE s.output_ts >= ? AND s.output_ts < ? AND s.status = 'ok'
            GROUP BY series, bucket ORDER BY series, bucket""",
        (bucket_s, bucket_s, since, until),
    ).fetchall()
    return [dict(r) for r in rows]


_JUDGE_SPEND_BY = {
    "judge": "judge",
    "model": "model",
    "day": "date(ts, 'unixepoch')",
}
_JUDGE_DAILY_BY = {"judge": "judge", "model": "model", "day": "date(day * 86400, 'unixepoch')", "all": "''"}
_JUDGE_SUMS = ("calls", "cost_pusd", "unknown", "failed", "input_tokens", "output_tokens")


def _judge_calls_scan(conn: sqlite3.Connection, expr: str, since: float | None, until: float) -> list:
    return conn.execute(
        f"""SELECT {expr} AS k, count(*) AS calls, sum(cost_pusd) AS cost_pusd,
                   sum(cost_known = 0) AS unknown, sum(status != 'ok') AS failed,
                   sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens
            FROM judge_calls WHERE ts >= ? AND ts < ? GROUP BY k ORDER BY k""",
        (-1e18 if since is None else since, until),
    ).fetchall()


def _judge_spend(conn: sqlite3.Connection, by: str, since: float | None, until: float) -> list[dict]:
    """Judge call sums grouped ``by``: whole UTC days from judge_spend_daily
    (schema v9), the partial days at either edge from ``judge_calls``."""
    from evaltop.store.rollups import judge_calls as jr

    scan_expr = _JUDGE_SPEND_BY.get(by, "''")
    lo = -(2**40) if since is None else math.ceil(since / DAY)
    hi = math.floor(until / DAY)
    if lo >= hi or not jr.installed(conn):
        parts = [_judge_calls_scan(conn, scan_expr, since, until)]
    else:
        parts = [conn.execute(
            f"SELECT {_JUDGE_DAILY_BY[by]} AS k, {', '.join(f'sum({c}) AS {c}' for c in _JUDGE_SUMS)} "
            f"FROM {jr.TABLE} WHERE day >= ? AND day < ? GROUP BY k", (lo, hi)).fetchall()]
        if since is not None and since < lo * DAY:
            parts.append(_judge_calls_scan(conn, scan_expr, since, lo * DAY))
        if hi * DAY < until:
            parts.append(_judge_calls_scan(conn, scan_expr, hi * DAY, until))
    merged: dict[Any, dict] = {}
    for rows in parts:
        for r in rows:
            acc = merged.get(r["k"])
            if acc is None:
                merged[r["k"]] = dict(r)
            else:
                for c in _JUDGE_SUMS:
                    acc[c] += r[c]
    return [merged[k] for k in sorted(merged) if merged[k]["calls"]]


def judge_spend_by(conn: sqlite3.Connection, by: str, since: float | None, until: float) -> list[dict]:
    """Judge calls and their cost; ``unknown`` counts calls whose cost is not known."""
    if by not in _JUDGE_SPEND_BY:
        raise KeyError(by)
    return _judge_spend(conn, by, since, until)


def judge_spend_total(conn: sqlite3.Connection, since: float | None, until: float) -> int:
    rows = _judge_spend(conn, "all", since, until)
    return rows[0]["cost_pusd"] if rows else 0


# ---------------------------------------------------------------- alerts / review


def alerts(conn: sqlite3.Connection, limit: int = 50) -> list[dict]:
    rows = conn.execute(
        """SELECT rowid AS id, kind, level, message, ts, acknowledged FROM alerts
           ORDER BY acknowledged, ts DESC LIMIT ?""",
        (limit,),
    ).fetchall()
    return [dict(r) for r in rows]


def review_queue(conn: sqlite3.Connection, limit: int = 50) -> list[dict]:
    """Sampled outputs with no human label, oldest first."""
    rows = conn.execute(
        """SELECT o.rowid AS rowid, o.id AS id, o.ts AS ts, o.model, o.task,
                  substr(o.output_text, 1, 400) AS head, sa.strata
           FROM samples sa JOIN outputs o ON o.id = sa.output_id
           LEFT JOIN labels l ON l.output_id = sa.output_id
           WHERE l.output_id IS NULL AND sa.status != 'skipped'
           ORDER BY sa.output_ts, o.rowid LIMIT ?""",
        (limit,),
    ).fetchall()
    return [dict(r) for r in rows]


def upsert_label(conn: sqlite3.Connection, output_id: str, label: str, reviewer: str = "") -> None:
    """Record a human label (used only when store.labels is not installed)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(
            """INSERT INTO labels (output_id, label, reviewer, ts) VALUES (?, ?, ?, strftime('%s','now'))
               ON CONFLICT(output_id) DO UPDATE SET label = excluded.label,
               reviewer = excluded.reviewer, ts = excluded.ts""",
            (output_id, label, reviewer),
        )
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


# ---------------------------------------------------------------- one case


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


SORTS = ("newest", "oldest", "model", "task")


def _order(f: CaseFilter) -> tuple[list[str], str]:
    """Sort columns and their one direction. One direction for all columns lets
    the keyset be a row-value comparison that SQLite turns into an index range
    (mixed directions or an OR-expanded keyset make it sort the whole table)."""
    ts, rid = ("s.output_ts", "s.rowid") if f.failing else ("o.ts", "o.rowid")
    return {
        "newest": ([ts, rid], "DESC"),
        "oldest": ([ts, rid], "ASC"),
        "model": (["o.model", ts, rid], "DESC"),  # grouped by model, newest first in each
        "task": (["o.task", ts, rid], "DESC"),
    }[f.sort]


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def cases_page(
    conn: sqlite3.Connection,
    f: CaseFilter,
    *,
    after: tuple | None = None,
    limit: int = 200,
    reverse: bool = False,
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
    where: list[str] = []
    args: list[Any] = []
    if f.failing:
        where.append("s.passed = 0")
        if f.judge:
            where.append("s.judge = ?")
            args.append(f.judge)
        if f.since is not None:
            where.append("s.output_ts >= ?")
            args.append(f.since)
    else:
        if f.judge:
            where.append("EXISTS (SELECT 1 FROM scores x WHERE x.output_id = o.id AND x.judge = ?)")
            args.append(f.judge)
        if f.since is not None:
            where.append("o.ts >= ?")
            args.append(f.since)
    for col, value in (
        ("o.model", f.model),
        ("o.task", f.task),
        ("o.prompt_version", f.prompt_version),
        ("o.variant", f.variant),
    ):
        if value is not None:
            where.append(f"{col} = ?")
            args.append(value)
    if f.text:
        where.append("(o.id = ? OR o.output_text LIKE ? ESCAPE '\\' OR o.input_text LIKE ? ESCAPE '\\')")
        args += [f.text, _like(f.text), _like(f.text)]
    if after is not None:
        if len(after) != len(cols):
            raise ValueError(f"keyset {after!r} does not match sort {f.sort!r}")
        op = "<" if direction == "DESC" else ">"
        where.append(f"({', '.join(cols)}) {op} ({', '.join('?' * len(cols))})")
        args += list(after)
    keys = ", ".join(f"{c} AS k{i}" for i, c in enumerate(cols))
    order = ", ".join(f"{c} {direction}" for c in cols)
    cond = "WHERE " + " AND ".join(where) if where else ""
    fields = """o.rowid AS rowid, o.id AS id, o.ts AS ts, o.model AS model, o.task AS task,
                o.prompt_version AS prompt_version, o.variant AS variant,
                substr(o.output_text, 1, 400) AS head, o.error AS error, s.judge AS judge,
                s.score AS score, s.passed AS passed, s.status AS status"""
    if f.failing:  # one row per failed verdict, walked on the (passed, output_ts) index
        sql = f"""SELECT {keys}, 's' || s.rowid AS row_key, {fields}
                  FROM scores s JOIN outputs o ON o.id = s.output_id {cond}
                  ORDER BY {order} LIMIT ?"""
    else:  # page the outputs alone on their index, then attach each one's worst verdict
        judge_only = "AND x.judge = ?" if f.judge else ""
        inner_keys = ", ".join(f"{c} AS k{i}" for i, c in enumerate(cols))
        outer_order = ", ".join(f"p.k{i} {direction}" for i in range(len(cols)))
        sql = f"""SELECT {", ".join(f"p.k{i} AS k{i}" for i in range(len(cols)))},
                         'o' || o.rowid AS row_key, {fields}
                  FROM (SELECT o.rowid AS r, {inner_keys} FROM outputs o {cond}
                        ORDER BY {order} LIMIT ?) p
                  JOIN outputs o ON o.rowid = p.r
                  LEFT JOIN scores s ON s.rowid = (SELECT x.rowid FROM scores x WHERE x.output_id = o.id
                                                   {judge_only} ORDER BY x.passed IS NOT 0, x.score LIMIT 1)
                  ORDER BY {outer_order}"""
    args.append(limit)
    if not f.failing and f.judge:
        args.append(f.judge)
    out = []
    for r in conn.execute(sql, args).fetchall():
        d = dict(r)
        d["key"] = tuple(d.pop(f"k{i}") for i in range(len(cols)))
        out.append(d)
    return out
