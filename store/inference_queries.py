"""Inference totals for the dashboard and the inference budget: whole UTC days
from ``rollup_daily``, hours from ``rollup_hourly``, and (for exact windows,
:func:`spend_in`) the seconds at either edge from ``outputs``.

Group and column names come from fixed maps below, never from input.
"""

from __future__ import annotations

import math
import sqlite3
from typing import Any

from evaltop.store.db import table_exists
from evaltop.store.rollups.hourly import window_totals

HOUR = 3600
DAY = 86400
SUMS = ("outputs", "errors", "input_tokens", "output_tokens", "estimated_outputs",
        "unpriced_outputs", "cost_pusd", "latency_ms_sum")
_SELECT_SUMS = ", ".join(f"coalesce(sum({c}), 0) AS {c}" for c in SUMS)


def _hours(since: float | None, until: float) -> tuple[int, int]:
    lo = -(2**62) if since is None else int(since // HOUR)
    return lo, int(until // HOUR)


def _has_daily(conn: sqlite3.Connection) -> bool:
    """rollup_daily exists (schema v7); a read-only watcher may open an older file."""
    return table_exists(conn, "rollup_daily")


# ---------------------------------------------------------------- inference

_HOURLY_BY = {
    "model": "model",
    "task": "task",
    "day": "date(hour * 3600, 'unixepoch')",
    "hour": "hour",
    "all": "''",
}
_DAILY_BY = {"model": "model", "day": "date(day * 86400, 'unixepoch')", "all": "''"}


def _inference(conn: sqlite3.Connection, by: str, since: float | None, until: float) -> list[dict]:
    """Sums grouped by ``by`` over whole hours touching the window. A window that
    starts at a UTC midnight reads whole days from rollup_daily (~one row per
    model per day) and only today's hours from rollup_hourly, or (past midday,
    or nothing stored after ``until``) today's row less the hours after it."""
    hourly_expr = _HOURLY_BY[by]
    lo, hi = _hours(since, until)
    parts: list[tuple[int, list]] = []  # (sign, rows); sign 0: today's whole row
    if by in _DAILY_BY and since is not None and since % DAY == 0 and _has_daily(conn):
        today = int(until // DAY)
        daily = (
            f"SELECT {_DAILY_BY[by]} AS k, {_SELECT_SUMS} FROM rollup_daily"
            " WHERE day >= ? AND day < ? GROUP BY k"
        )
        parts.append((1, conn.execute(daily, (int(since // DAY), today)).fetchall()))
        lo = max(lo, today * 24)
        later = conn.execute("SELECT 1 FROM rollup_hourly WHERE hour > ? LIMIT 1", (hi,)).fetchone()
        if (hi - lo >= 12 or later is None) and int(since // DAY) <= today:
            parts.append((0, conn.execute(daily, (today, today + 1)).fetchall()))
            lo, hi, sign = hi + 1, today * 24 + 23, -1
        else:
            sign = 1
    else:
        sign = 1
    parts.append((sign, conn.execute(
        f"SELECT {hourly_expr} AS k, {_SELECT_SUMS} FROM rollup_hourly "
        "WHERE hour BETWEEN ? AND ? GROUP BY k", (lo, hi)).fetchall()))
    merged: dict[Any, dict] = {}
    counted: set = set()  # keys with rows inside the window itself
    for sign, rows in parts:
        for r in rows:
            acc = merged.setdefault(r["k"], {"k": r["k"], **{c: 0 for c in SUMS}})
            for c in SUMS:
                acc[c] += (sign or 1) * r[c]
            if sign > 0:
                counted.add(r["k"])
    # today's row minus its later hours can leave a key at zero that a read of
    # the hours themselves would not return
    return [merged[k] for k in sorted(merged)
            if k in counted or any(merged[k][c] for c in SUMS)]


def inference_totals(conn: sqlite3.Connection, since: float | None, until: float) -> dict[str, Any]:
    """Outputs, errors, tokens and priced cost over whole hours touching the window."""
    rows = _inference(conn, "all", since, until)
    out = rows[0] if rows else {c: 0 for c in SUMS}
    out.pop("k", None)
    return out


def inference_by(
    conn: sqlite3.Connection, by: str, since: float | None, until: float
) -> list[dict]:
    """Inference outputs/tokens/cost grouped by model, task, day or hour."""
    if by not in _HOURLY_BY or by == "all":
        raise ValueError(f"inference_by: by must be model, task, day or hour, got {by!r}")
    return _inference(conn, by, since, until)


def spend_in(conn: sqlite3.Connection, since: float, until: float) -> tuple[int, int]:
    """(priced cost in picodollars, unpriced outputs) for outputs with
    ``since <= ts < until``, exact: whole UTC days from rollup_daily, the hours
    and seconds at either edge through :func:`rollups.window_totals`."""
    def edge(a: float, b: float) -> tuple[int, int]:
        rows = window_totals(conn, a, b) if b > a else []
        return (rows[0].cost_pusd, rows[0].unpriced_outputs) if rows else (0, 0)

    def days(first: int, end: int) -> tuple[int, int]:
        return conn.execute(
            "SELECT coalesce(sum(cost_pusd), 0), coalesce(sum(unpriced_outputs), 0) "
            "FROM rollup_daily WHERE day >= ? AND day < ?",
            (first, end),
        ).fetchone()

    def hours(first: int, end: int) -> tuple[int, int]:
        return conn.execute(
            "SELECT coalesce(sum(cost_pusd), 0), coalesce(sum(unpriced_outputs), 0) "
            "FROM rollup_hourly WHERE hour >= ? AND hour < ?",
            (first, end),
        ).fetchone()

    def scan(a: float, b: float) -> tuple[int, int]:
        return conn.execute(
            "SELECT coalesce(sum(cost_pusd), 0), coalesce(sum(cost_pusd IS NULL), 0) FROM outputs "
            "WHERE ts >= ? AND ts < ?", (a, b)).fetchone()

    def part_of_day(a: float, b: float) -> tuple[int, int]:
        """[a, b) within one UTC day: read directly, or when it is most of the
        day or nothing is stored after it, the day's row less the whole hours
        outside it; partial hours always come from ``outputs``, as in
        :func:`rollups.window_totals`."""
        if b <= a:
            return 0, 0
        ha, hb = math.ceil(a / HOUR), math.floor(b / HOUR)
        later = conn.execute("SELECT 1 FROM outputs WHERE ts >= ? LIMIT 1", (b,)).fetchone()
        if ha >= hb or (b - a <= DAY / 2 and later is not None):
            return edge(a, b)
        day = math.floor(a / DAY)
        parts = (days(day, day + 1), hours(day * 24, ha), hours(hb, day * 24 + 24),
                 scan(a, ha * HOUR), scan(hb * HOUR, b))
        return (sum(sign * p[0] for sign, p in zip((1, -1, -1, 1, 1), parts, strict=True)),
                sum(sign * p[1] for sign, p in zip((1, -1, -1, 1, 1), parts, strict=True)))

    lo, hi = math.ceil(since / DAY), math.floor(until / DAY)
    if lo > hi or not _has_daily(conn):  # inside one day, touching neither midnight
        return edge(since, until)
    cost, unpriced = days(lo, hi)
    for a, b in ((since, lo * DAY), (hi * DAY, until)):
        c, u = part_of_day(a, b)
        cost, unpriced = cost + c, unpriced + u
    return cost, unpriced


def count_outputs_since(conn: sqlite3.Connection, since: float) -> int:
    return conn.execute("SELECT count(*) FROM outputs WHERE ts >= ?", (since,)).fetchone()[0]


def unpriced_models(conn: sqlite3.Connection, since: float | None, until: float) -> list[dict]:
    rows = [{"model": r["k"], "outputs": r["unpriced_outputs"]}
            for r in _inference(conn, "model", since, until) if r["unpriced_outputs"] > 0]
    return sorted(rows, key=lambda r: -r["outputs"])
