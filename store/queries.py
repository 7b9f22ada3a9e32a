"""Dashboard SQL: aggregates from ``rollup_hourly`` and indexes, and the cases
list paged by keyset (never OFFSET).

Every function takes an open connection and plain values and returns plain
rows. Column and sort names come from fixed maps below, never from input.
"""

from __future__ import annotations

import math
import sqlite3
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
