"""``judge_calls`` rows: one per judge request series, billed or not.

status: ok | error | timeout | refused_budget | lost. ``cost_pusd`` is the
confirmed cost (what billed replies cost). ``unconfirmed_attempts`` counts the
attempts that may have been billed with no reply to say how much (a reset, a
read error, a timeout after sending; a lost call), and ``unconfirmed_pusd``
holds one reserved estimate for each (schema step v20); ``cost_known = 0``
when there is any. ``cost_pusd + unconfirmed_pusd`` is what the call settled
in the budget ledger.

Judge spend for the dashboard (:func:`judge_spend_by`, :func:`judge_spend_total`)
reads whole UTC days from ``judge_spend_daily``: calls, cost and tokens per
(day, judge, model), kept by triggers on ``judge_calls`` (schema step v9), so
30 days read ~100 rows instead of every call. A day is the exact
``floor(ts / 86400)``; the partial days at a window's edges come from
``judge_calls``. A call inserted, changed (settled) or deleted adds or takes
out its contribution.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterable
from dataclasses import astuple, dataclass, fields
from typing import Any

from evaltop.store.db import table_exists

DAY = 86400
SPEND_DAILY = "judge_spend_daily"


@dataclass(frozen=True)
class JudgeCallRow:
    judge: str
    model: str
    output_id: str
    status: str
    attempts: int
    latency_ms: float | None
    input_tokens: int
    output_tokens: int
    usage_estimated: int
    cost_pusd: int
    cost_known: int
    reserved_pusd: int
    error: str | None
    run_id: str | None
    ts: float
    # the billing buckets (one pricing engine: docs/pricing.md)
    cached_input_tokens: int = 0
    cache_write_tokens: int = 0
    cache_write_1h_tokens: int | None = None
    reasoning_tokens: int = 0
    price_entry: str | None = None
    price_fallback: str | None = None
    # attempts whose billing is unknown, one reserved estimate each (schema v20)
    unconfirmed_pusd: int = 0
    unconfirmed_attempts: int = 0


_COLS = ", ".join(f.name for f in fields(JudgeCallRow))
_MARKS = ", ".join("?" for _ in fields(JudgeCallRow))


def insert(conn: sqlite3.Connection, row: JudgeCallRow) -> None:
    conn.execute(f"INSERT INTO judge_calls ({_COLS}) VALUES ({_MARKS})", astuple(row))


def totals_by_judge(
    conn: sqlite3.Connection, since: float | None, until: float
) -> list[sqlite3.Row]:
    """Per judge in [since, until): calls (requests sent), budget refusals,
    errors, retries, tokens, cost, unknown-cost calls."""
    return conn.execute(
        """SELECT judge,
                  SUM(status != 'refused_budget') AS calls,
                  SUM(status = 'refused_budget') AS refused_budget,
                  SUM(status NOT IN ('ok', 'refused_budget')) AS errors,
                  SUM(MAX(attempts - 1, 0)) AS retries,
                  SUM(input_tokens) AS input_tokens,
                  SUM(output_tokens) AS output_tokens,
                  SUM(cost_pusd) AS cost_pusd,
                  SUM(cost_known = 0) AS unknown_cost_calls,
                  SUM(unconfirmed_pusd) AS unconfirmed_pusd,
                  SUM(unconfirmed_attempts) AS unconfirmed_attempts
           FROM judge_calls
           WHERE ts >= COALESCE(?, ts) AND ts < ?
           GROUP BY judge ORDER BY judge""",
        (since, until),
    ).fetchall()


def total_cost(conn: sqlite3.Connection, since: float | None, until: float) -> int:
    """Confirmed judge spend in [since, until) (unconfirmed: :func:`unconfirmed`)."""
    return unconfirmed(conn, since, until)[0]


def unconfirmed(conn: sqlite3.Connection, since: float | None,
                until: float) -> tuple[int, int, int]:
    """(confirmed picodollars, unconfirmed picodollars, unconfirmed attempts)."""
    row = conn.execute(
        "SELECT COALESCE(SUM(cost_pusd), 0), COALESCE(SUM(unconfirmed_pusd), 0),"
        " COALESCE(SUM(unconfirmed_attempts), 0) FROM judge_calls"
        " WHERE ts >= COALESCE(?, ts) AND ts < ?",
        (since, until),
    ).fetchone()
    return int(row[0]), int(row[1]), int(row[2])


def billing_rows(conn: sqlite3.Connection, since: float | None,
                 until: float) -> Iterable[sqlite3.Row]:
    """Billing columns of the judge calls in [since, until) that reached a
    provider (``evaltop spend --by bucket``), streamed."""
    return conn.execute(
        """SELECT model, ts, input_tokens, output_tokens, cached_input_tokens,
                  cache_write_tokens, cache_write_1h_tokens, reasoning_tokens, cost_pusd
           FROM judge_calls WHERE status != 'refused_budget'
             AND ts >= COALESCE(?, ts) AND ts < ?""",
        (since, until),
    )


def for_output(conn: sqlite3.Connection, output_id: str) -> list[sqlite3.Row]:
    """Every judge call series for one output (live and replay runs), oldest first."""
    return conn.execute(
        "SELECT * FROM judge_calls WHERE output_id = ? ORDER BY ts, rowid", (output_id,)
    ).fetchall()


def failures(conn: sqlite3.Connection, judge: str, output_id: str, run_id: str | None) -> int:
    """Earlier call series for this pair that ended in a timeout or an error
    (for a pair queued by ``score --rescore``, only since it was queued)."""
    row = conn.execute(
        """SELECT COUNT(*) FROM judge_calls WHERE judge = ? AND output_id = ?
           AND COALESCE(run_id, '') = ? AND status IN ('timeout', 'error', 'lost')
           AND ts >= COALESCE((SELECT requested_at FROM rescore_queue q
                               WHERE q.output_id = ? AND q.judge = ? AND ? = ''), -1e18)""",
        (judge, output_id, run_id or "", output_id, judge, run_id or ""),
    ).fetchone()
    return int(row[0])


_JUDGE_SPEND_BY = {
    "judge": "judge",
    "model": "model",
    "day": "date(ts, 'unixepoch')",
}
_JUDGE_DAILY_BY = {"judge": "judge", "model": "model", "day": "date(day * 86400, 'unixepoch')",
                   "all": "''"}
_JUDGE_SUMS = ("calls", "cost_pusd", "unknown", "failed", "input_tokens", "output_tokens",
               "unconfirmed_pusd", "unconfirmed_attempts")


def _judge_calls_scan(conn: sqlite3.Connection, expr: str, since: float | None,
                      until: float) -> list:
    return conn.execute(
        f"""SELECT {expr} AS k, count(*) AS calls, sum(cost_pusd) AS cost_pusd,
                   sum(cost_known = 0) AS unknown, sum(status != 'ok') AS failed,
                   sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
                   sum(unconfirmed_pusd) AS unconfirmed_pusd,
                   sum(unconfirmed_attempts) AS unconfirmed_attempts
            FROM judge_calls WHERE ts >= ? AND ts < ? GROUP BY k ORDER BY k""",
        (-1e18 if since is None else since, until),
    ).fetchall()


def _judge_spend(conn: sqlite3.Connection, by: str, since: float | None,
                 until: float) -> list[dict]:
    """Judge call sums grouped ``by``: whole UTC days from judge_spend_daily
    (schema v9), the partial days at either edge from ``judge_calls``."""
    scan_expr = _JUDGE_SPEND_BY.get(by, "''")
    lo = -(2**40) if since is None else math.ceil(since / DAY)
    hi = math.floor(until / DAY)
    if lo >= hi or not table_exists(conn, SPEND_DAILY):
        parts = [_judge_calls_scan(conn, scan_expr, since, until)]
    else:
        parts = [conn.execute(
            f"SELECT {_JUDGE_DAILY_BY[by]} AS k, "
            f"{', '.join(f'sum({c}) AS {c}' for c in _JUDGE_SUMS)} "
            f"FROM {SPEND_DAILY} WHERE day >= ? AND day < ? GROUP BY k", (lo, hi)).fetchall()]
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


def judge_spend_by(conn: sqlite3.Connection, by: str, since: float | None,
                   until: float) -> list[dict]:
    """Judge calls and their cost; ``unknown`` counts calls whose cost is not known."""
    if by not in _JUDGE_SPEND_BY:
        raise KeyError(by)
    return _judge_spend(conn, by, since, until)


def judge_spend_total(conn: sqlite3.Connection, since: float | None, until: float) -> int:
    rows = _judge_spend(conn, "all", since, until)
    return rows[0]["cost_pusd"] if rows else 0
