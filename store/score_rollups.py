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

from .trigger_rollups import floor_div, on_conflict_add, row_triggers, table_exists

HOUR = 3600
DIMS = ("task", "model", "prompt_version", "variant")
AGG = ("n", "sum_y", "sum_yy", "sum_w", "sum_wy", "sum_wyy", "sum_ww", "sum_wwy", "sum_wwyy")
SUMS = ("rows", "judged", "errors", *(f"p_{a}" for a in AGG), *(f"s_{a}" for a in AGG))
KEY = ("hour", "judge", "kind", *DIMS)
TABLE = "score_rollup_hourly"


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


def _upsert(source: str, sign: str) -> str:
    """Add ``sign`` x each source row's contribution into the rollup."""
    cols = ", ".join(KEY + SUMS)
    return (f"INSERT INTO {TABLE} ({cols}) SELECT {', '.join(KEY)}, {', '.join(_contribution(sign))} "
            f"FROM ({source}) WHERE true" + on_conflict_add(KEY, SUMS))


def _one_score(r: str) -> str:
    """The NEW or OLD score row as a source, with its output's dimensions and weight."""
    w = (f"COALESCE((SELECT {_weight('probability')} FROM samples WHERE output_id = {r}.output_id), 1.0)")
    return (f"SELECT {_hour(f'{r}.output_ts')} AS hour, {r}.judge AS judge, {r}.kind AS kind, "
            + ", ".join(f"o.{d} AS {d}" for d in DIMS)
            + f", {r}.status AS status, {r}.passed AS passed, {r}.score AS score, {w} AS w "
            f"FROM (SELECT 1) LEFT JOIN outputs o ON o.id = {r}.output_id")


def _output_scores(output_id: str, w: str) -> str:
    """Every score of one output as a source, weighted ``w``."""
    return (f"SELECT {_hour('s.output_ts')} AS hour, s.judge AS judge, s.kind AS kind, "
            + ", ".join(f"o.{d} AS {d}" for d in DIMS)
            + f", s.status AS status, s.passed AS passed, s.score AS score, {w} AS w "
            f"FROM scores s LEFT JOIN outputs o ON o.id = s.output_id WHERE s.output_id = {output_id}")


TRIGGERS = {
    **row_triggers("score_rollup", "scores", "status, passed, score, judge, kind, output_id, output_ts",
                   lambda row, sign: _upsert(_one_score(row), sign)),
    "score_rollup_sample_ins": (
        "AFTER INSERT ON samples BEGIN "
        f"{_upsert(_output_scores('NEW.output_id', '1.0'), '-')} "
        f"{_upsert(_output_scores('NEW.output_id', _weight('NEW.probability')), '+')} END"),
    "score_rollup_sample_upd": (
        "AFTER UPDATE OF probability ON samples WHEN OLD.probability IS NOT NEW.probability BEGIN "
        f"{_upsert(_output_scores('NEW.output_id', _weight('OLD.probability')), '-')} "
        f"{_upsert(_output_scores('NEW.output_id', _weight('NEW.probability')), '+')} END"),
    "score_rollup_sample_del": (
        "AFTER DELETE ON samples BEGIN "
        f"{_upsert(_output_scores('OLD.output_id', _weight('OLD.probability')), '-')} "
        f"{_upsert(_output_scores('OLD.output_id', '1.0'), '+')} END"),
}


def create(conn: sqlite3.Connection) -> None:
    """The table, its triggers, and the rollup of every score already stored."""
    sums = ", ".join(f"{c} {'INTEGER' if c in ('rows', 'judged', 'errors', 'p_n', 's_n') else 'REAL'} "
                     "NOT NULL DEFAULT 0" for c in SUMS)
    conn.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (hour INTEGER NOT NULL, judge TEXT NOT NULL, "
                 f"kind TEXT NOT NULL, {', '.join(f'{d} TEXT' for d in DIMS)}, {sums}, "
                 f"UNIQUE ({', '.join(KEY)}))")
    conn.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_judge ON {TABLE}(judge, hour)")
    backfill = (f"SELECT {_hour('s.output_ts')} AS hour, s.judge AS judge, s.kind AS kind, "
                + ", ".join(f"o.{d} AS {d}" for d in DIMS)
                + f", s.status AS status, s.passed AS passed, s.score AS score, "
                f"COALESCE({_weight('sm.probability')}, 1.0) AS w FROM scores s "
                "LEFT JOIN outputs o ON o.id = s.output_id LEFT JOIN samples sm ON sm.output_id = s.output_id")
    grouped = ", ".join(f"sum({c})" for c in _contribution("+"))
    conn.execute(f"INSERT INTO {TABLE} ({', '.join(KEY + SUMS)}) SELECT {', '.join(KEY)}, {grouped} "
                 f"FROM ({backfill}) GROUP BY {', '.join(KEY)}")
    for name, body in TRIGGERS.items():
        conn.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")


def installed(conn: sqlite3.Connection) -> bool:
    return table_exists(conn, TABLE)


def hourly(conn: sqlite3.Connection, lo_hour: int, hi_hour: int, group: list[str], *,
           with_dims: bool, judge: str | None = None, counts: bool = True) -> list[sqlite3.Row]:
    """Summed rollup rows for hours ``[lo_hour, hi_hour)`` grouped by ``group``
    (fixed column expressions, ``expr AS name`` or plain names, never user
    text), with ``kind`` the least of the groups that still hold a score.
    ``with_dims`` leaves out scores whose output row is missing; ``counts=False``
    leaves out kind, judged and errors (the trend reads only the sums)."""
    names = [g.split(" AS ")[-1].strip() for g in group]
    where = ["hour >= ?", "hour < ?"]
    args: list = [lo_hour, hi_hour]
    if with_dims:
        where.append("model IS NOT NULL")
    if judge is not None:
        where.append("judge = ?")
        args.append(judge)
    cols = [c for c in SUMS if counts or c not in ("judged", "errors")]
    sums = ", ".join(f"SUM({c}) AS {c}" for c in cols)
    kind = "MIN(CASE WHEN rows > 0 THEN kind END) AS kind, " if counts else ""
    sql = (f"SELECT {', '.join(group)}, {kind}{sums} "
           f"FROM {TABLE} WHERE {' AND '.join(where)} GROUP BY {', '.join(names)} HAVING SUM(rows) > 0")
    return conn.execute(sql, args).fetchall()
