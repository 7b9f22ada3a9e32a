"""Hourly score rollup: the analysis's counts and weighted sums per
(hour, judge, kind, task, model, prompt_version, variant), kept by triggers.

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

from evaltop.store.rollups.triggers import floor_div, on_conflict_add, row_triggers, table_exists

HOUR = 3600
DIMS = ("task", "model", "prompt_version", "variant")
AGG = ("n", "sum_y", "sum_yy", "sum_w", "sum_wy", "sum_wyy", "sum_ww", "sum_wwy", "sum_wwyy")
SUMS = ("rows", "judged", "errors", *(f"p_{a}" for a in AGG), *(f"s_{a}" for a in AGG))


@dataclass(frozen=True)
class Grain:
    """One rollup table: per hour and judge, and per output ``dims`` (if any)."""

    table: str
    prefix: str  # of its trigger names
    dims: tuple[str, ...]

    @property
    def key(self) -> tuple[str, ...]:
        return ("hour", "judge", "kind", *self.dims)


SEGMENTS = Grain("score_rollup_hourly", "score_rollup", DIMS)  # schema v8
JUDGES = Grain("score_rollup_judge_hourly", "score_rollup_judge", ())  # schema v10: ~1 row per judge-hour
BY_MODEL = Grain("score_rollup_model_hourly", "score_rollup_model", ("model",))  # schema v12 (trends)
BY_TASK = Grain("score_rollup_task_hourly", "score_rollup_task", ("task",))  # schema v12 (trends)
GRAINS = (JUDGES, BY_MODEL, BY_TASK, SEGMENTS)  # smallest first
TABLE = SEGMENTS.table


def _agg_terms(y: str, cond: str) -> list[str]:
    """One row's contribution to the nine WeightedAgg sums of ``y`` (0 unless ``cond``)."""
    exprs = ["1", y, f"{y} * {y}", "w", f"w * {y}", f"w * {y} * {y}", "w * w", f"w * w * {y}",
             f"w * w * {y} * {y}"]
    return [f"(CASE WHEN {cond} THEN {e} ELSE 0 END)" for e in exprs]


def _contribution(sign: str) -> list[str]:
    """Signed expressions for :data:`SUMS`, over a source with status, passed, score, w."""
    terms = ["1", "(status = 'ok')", "(status = 'error')",
             *_agg_terms("passed", "status = 'ok' AND passed IS NOT NULL"),
             *_agg_terms("score", "status = 'ok' AND score IS NOT NULL")]
    return [f"{sign}{t}" for t in terms]


def _hour(ts: str) -> str:
    return floor_div(ts, HOUR)


def _weight(prob: str) -> str:
    return f"1.0 / COALESCE(NULLIF({prob}, 0), 1.0)"


def _upsert(g: Grain, source: str, sign: str) -> str:
    """Add ``sign`` x each source row's contribution into the rollup."""
    cols = ", ".join(g.key + SUMS)
    return (f"INSERT INTO {g.table} ({cols}) SELECT {', '.join(g.key)}, {', '.join(_contribution(sign))} "
            f"FROM ({source}) WHERE true" + on_conflict_add(g.key, SUMS))


def _source(g: Grain, s: str, w: str, rest: str) -> str:
    """Score rows (alias or NEW/OLD ``s``) with hour, key, verdict and weight ``w``."""
    dims = "".join(f", o.{d} AS {d}" for d in g.dims)
    join = f" LEFT JOIN outputs o ON o.id = {s}.output_id" if g.dims else ""
    return (f"SELECT {_hour(f'{s}.output_ts')} AS hour, {s}.judge AS judge, {s}.kind AS kind{dims}, "
            f"{s}.status AS status, {s}.passed AS passed, {s}.score AS score, {w} AS w FROM {rest}{join}")


def _one_score(g: Grain, r: str) -> str:
    """The NEW or OLD score row as a source, with its output's dimensions and weight."""
    w = f"COALESCE((SELECT {_weight('probability')} FROM samples WHERE output_id = {r}.output_id), 1.0)"
    return _source(g, r, w, "(SELECT 1)")


def _output_scores(g: Grain, output_id: str, w: str) -> str:
    """Every score of one output as a source, weighted ``w``."""
    return _source(g, "s", w, "scores s") + f" WHERE s.output_id = {output_id}"


def triggers(g: Grain) -> dict[str, str]:
    """Trigger name -> body keeping ``g`` equal to a scan of scores x samples."""
    def resample(out: str, old_w: str, new_w: str) -> str:
        return f"{_upsert(g, _output_scores(g, out, old_w), '-')} {_upsert(g, _output_scores(g, out, new_w), '+')}"

    return {
        **row_triggers(g.prefix, "scores", "status, passed, score, judge, kind, output_id, output_ts",
                       lambda row, sign: _upsert(g, _one_score(g, row), sign)),
        f"{g.prefix}_sample_ins": (
            f"AFTER INSERT ON samples BEGIN {resample('NEW.output_id', '1.0', _weight('NEW.probability'))} END"),
        f"{g.prefix}_sample_upd": (
            "AFTER UPDATE OF probability ON samples WHEN OLD.probability IS NOT NEW.probability BEGIN "
            f"{resample('NEW.output_id', _weight('OLD.probability'), _weight('NEW.probability'))} END"),
        f"{g.prefix}_sample_del": (
            f"AFTER DELETE ON samples BEGIN {resample('OLD.output_id', _weight('OLD.probability'), '1.0')} END"),
    }


def create(conn: sqlite3.Connection, g: Grain = SEGMENTS) -> None:
    """The table, its triggers, and the rollup of every score already stored."""
    sums = ", ".join(f"{c} {'INTEGER' if c in ('rows', 'judged', 'errors', 'p_n', 's_n') else 'REAL'} "
                     "NOT NULL DEFAULT 0" for c in SUMS)
    if g.dims:  # NULL dimensions (output row missing) cannot be in a primary key
        conn.execute(f"CREATE TABLE IF NOT EXISTS {g.table} (hour INTEGER NOT NULL, judge TEXT NOT NULL, "
                     f"kind TEXT NOT NULL, {', '.join(f'{d} TEXT' for d in g.dims)}, {sums}, "
                     f"UNIQUE ({', '.join(g.key)}))")
    else:
        conn.execute(f"CREATE TABLE IF NOT EXISTS {g.table} (hour INTEGER NOT NULL, judge TEXT NOT NULL, "
                     f"kind TEXT NOT NULL, {sums}, PRIMARY KEY ({', '.join(g.key)})) WITHOUT ROWID")
    backfill = _source(g, "s", f"COALESCE({_weight('sm.probability')}, 1.0)",
                       "scores s LEFT JOIN samples sm ON sm.output_id = s.output_id")
    grouped = ", ".join(f"sum({c})" for c in _contribution("+"))
    conn.execute(f"INSERT INTO {g.table} ({', '.join(g.key + SUMS)}) SELECT {', '.join(g.key)}, {grouped} "
                 f"FROM ({backfill}) GROUP BY {', '.join(g.key)}")
    for name, body in triggers(g).items():
        conn.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")


def create_judges(conn: sqlite3.Connection) -> None:
    create(conn, JUDGES)


def create_model_task(conn: sqlite3.Connection) -> None:
    create(conn, BY_MODEL)
    create(conn, BY_TASK)


def installed(conn: sqlite3.Connection, g: Grain = SEGMENTS) -> bool:
    return table_exists(conn, g.table)


def hourly(conn: sqlite3.Connection, lo_hour: int, hi_hour: int, group: list[str], *,
           dims: tuple[str, ...] | list[str], judge: str | None = None, counts: bool = True) -> list[sqlite3.Row]:
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
    sql = (f"SELECT {', '.join(group)}, {kind}{sums} "
           f"FROM {table} WHERE {' AND '.join(where)} GROUP BY {', '.join(names)} HAVING SUM(rows) > 0")
    return conn.execute(sql, args).fetchall()
