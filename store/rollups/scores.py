"""Reads of the hourly score rollups: the analysis's counts and weighted sums
per (hour, judge, kind, task, model, prompt_version, variant) in
``score_rollup_hourly``, and coarser copies per judge alone, per judge and
model, per judge and task. Triggers keep them; the triggers and tables are
created by frozen schema steps v8, v10 and v12 (store/schema/sql/, or all of
them in store/schema/current.sql).

A window's score aggregates then read whole hours from ``score_rollup_hourly``
(a few hundred rows) and only the partial hours at its edges from ``scores``,
instead of joining every score in the window to its output and sample.

The triggers keep the rollup equal to a scan: a score inserted, changed or
deleted adds or takes out its contribution, and a sample whose probability
is set or changed re-weights its output's scores (weight ``1 / probability``,
1 without a sample row). Every change is an upsert of signed contributions,
so rows whose count drops to zero stay behind with ``rows = 0`` and readers
skip them. A score whose output row is missing has NULL dimensions (it counts
per judge, and drops out of per-dimension groups, as the scan's join does).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from evaltop.store.db import table_exists

DIMS = ("task", "model", "prompt_version", "variant")
AGG = ("n", "sum_y", "sum_yy", "sum_w", "sum_wy", "sum_wyy", "sum_ww", "sum_wwy", "sum_wwyy")
SUMS = ("rows", "judged", "errors", *(f"p_{a}" for a in AGG), *(f"s_{a}" for a in AGG))


@dataclass(frozen=True)
class Grain:
    """One rollup table: per hour and judge, and per output ``dims`` (if any)."""

    table: str
    dims: tuple[str, ...]


SEGMENTS = Grain("score_rollup_hourly", DIMS)  # schema v8
JUDGES = Grain("score_rollup_judge_hourly", ())  # schema v10: ~1 row per judge-hour
BY_MODEL = Grain("score_rollup_model_hourly", ("model",))  # schema v12 (trends)
BY_TASK = Grain("score_rollup_task_hourly", ("task",))  # schema v12 (trends)
GRAINS = (JUDGES, BY_MODEL, BY_TASK, SEGMENTS)  # smallest first


def installed(conn: sqlite3.Connection, g: Grain = SEGMENTS) -> bool:
    return table_exists(conn, g.table)


def hourly(
    conn: sqlite3.Connection,
    lo_hour: int,
    hi_hour: int,
    group: list[str],
    *,
    dims: tuple[str, ...] | list[str],
    judge: str | None = None,
    counts: bool = True,
) -> list[sqlite3.Row]:
    """Summed rollup rows for hours ``[lo_hour, hi_hour)`` grouped by ``group``
    (fixed column expressions, ``expr AS name`` or plain names, never user
    text), with ``kind`` the least of the groups that still hold a score.
    ``dims`` (the output columns ``group`` uses) picks the smallest table that
    has them, and leaves out scores whose output row is missing; ``counts=False``
    leaves out kind, judged and errors (the trend reads only the sums)."""
    table = next(g.table for g in GRAINS if set(dims) <= set(g.dims) and installed(conn, g))
    names = [g.split(" AS ")[-1].strip() for g in group]
    where = ["hour >= ?", "hour < ?"]
    args: list = [lo_hour, hi_hour]
    if dims:
        where.append(f"{dims[0]} IS NOT NULL")
    if judge is not None:
        where.append("judge = ?")
        args.append(judge)
    cols = [c for c in SUMS if counts or c not in ("judged", "errors")]
    sums = ", ".join(f"SUM({c}) AS {c}" for c in cols)
    kind = "MIN(CASE WHEN rows > 0 THEN kind END) AS kind, " if counts else ""
    sql = (
        f"SELECT {', '.join(group)}, {kind}{sums} "
        f"FROM {table} WHERE {' AND '.join(where)} GROUP BY {', '.join(names)} HAVING SUM(rows) > 0"
    )
    return conn.execute(sql, args).fetchall()
