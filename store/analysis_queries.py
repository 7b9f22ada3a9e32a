"""Read-only aggregate queries behind the analysis (scores, regressions, arms,
downstream, agreement, trends).

Aggregation happens here, in SQL: only per-group counts and weighted sums
leave the database (columns named like ``core.analysis.stats.WeightedAgg``
fields, with a ``p_`` prefix for pass/fail and ``s_`` for scores). A score's
weight is ``1 / samples.probability`` (1 when the output has no sample row).
Grouping columns come from a fixed whitelist, never from user text.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

DIMENSIONS = ("task", "model", "prompt_version", "variant")
NO_START = -1e18  # "since the beginning"

_W = "1.0 / COALESCE(NULLIF(sm.probability, 0), 1.0)"


def _sums(prefix: str, y: str, cond: str) -> str:
    """The nine WeightedAgg columns for value ``y`` over rows where ``cond``."""
    def agg(expr: str) -> str:
        return f"SUM(CASE WHEN {cond} THEN {expr} END)"
    parts = {
        "n": f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END)",
        "sum_y": agg(y), "sum_yy": agg(f"{y} * {y}"),
        "sum_w": agg("w"), "sum_wy": agg(f"w * {y}"), "sum_wyy": agg(f"w * {y} * {y}"),
        "sum_ww": agg("w * w"), "sum_wwy": agg(f"w * w * {y}"), "sum_wwyy": agg(f"w * w * {y} * {y}"),
    }
    return ", ".join(f"{expr} AS {prefix}{name}" for name, expr in parts.items())


_PASS = _sums("p_", "passed", "status = 'ok' AND passed IS NOT NULL")
_SCORE = _sums("s_", "score", "status = 'ok' AND score IS NOT NULL")


def _dims(dims: Sequence[str]) -> list[str]:
    bad = [d for d in dims if d not in DIMENSIONS]
    if bad:
        raise ValueError(f"unknown grouping {bad[0]!r}; expected one of {DIMENSIONS}")
    return list(dims)


def _bounds(since: float | None, until: float) -> tuple[float, float]:
    return (NO_START if since is None else since, until)


def score_aggregates(conn: sqlite3.Connection, since: float | None, until: float,
                     dims: Sequence[str] = ()) -> list[sqlite3.Row]:
    """Per judge (and ``dims``): judged/errors counts and weighted sums for
    pass/fail (``p_*``) and score (``s_*``), over scores whose output ts is in
    ``[since, until)``."""
    dims = _dims(dims)
    dim_sel = "".join(f", o.{d} AS {d}" for d in dims)
    dim_grp = "".join(f", {d}" for d in dims)
    join = "JOIN outputs o ON o.id = s.output_id" if dims else ""
    sql = f"""
        SELECT judge, MIN(kind) AS kind{dim_grp},
               SUM(status = 'ok') AS judged, SUM(status = 'error') AS errors,
               {_PASS}, {_SCORE}
        FROM (SELECT s.judge, s.kind, s.status, s.passed, s.score, {_W} AS w{dim_sel}
              FROM scores s {join}
              LEFT JOIN samples sm ON sm.output_id = s.output_id
              WHERE s.output_ts >= ? AND s.output_ts < ?)
        GROUP BY judge{dim_grp}
        ORDER BY judge{dim_grp}
    """
    return conn.execute(sql, _bounds(since, until)).fetchall()


def score_rows(conn: sqlite3.Connection, judge: str, since: float | None, until: float,
               dims: Sequence[str] = DIMENSIONS, limit: int = 200_000) -> list[sqlite3.Row]:
    """Per-row (dims..., score, w) for one judge's ok scores in the window,
    newest first, at most ``limit`` (for rank tests and bootstraps)."""
    dims = _dims(dims)
    dim_sel = "".join(f"o.{d} AS {d}, " for d in dims)
    sql = f"""
        SELECT {dim_sel}s.score AS score, {_W} AS w
        FROM scores s JOIN outputs o ON o.id = s.output_id
        LEFT JOIN samples sm ON sm.output_id = s.output_id
        WHERE s.judge = ? AND s.output_ts >= ? AND s.output_ts < ?
          AND s.status = 'ok' AND s.score IS NOT NULL
        ORDER BY s.output_ts DESC LIMIT ?
    """
    return conn.execute(sql, (judge, *_bounds(since, until), limit)).fetchall()


def prompt_regressions(conn: sqlite3.Connection, cur: tuple[float | None, float],
                       base: tuple[float | None, float], limit: int) -> list[sqlite3.Row]:
    """Same input hash, same judge: passed in ``base``, failed in ``cur``.
    One row per (input_hash, judge): the latest failure (SQLite takes the bare
    columns from the MAX row) and one passing baseline output. CROSS JOIN
    fixes the join order (failures -> same hash -> that output's verdict):
    without ANALYZE statistics SQLite would scan every baseline score."""
    sql = """
        SELECT judge, input_hash, MAX(cur_ts) AS cur_ts, cur_id, base_id, base_ts FROM (
            SELECT sc.judge, oc.input_hash, oc.id AS cur_id, oc.ts AS cur_ts,
                   ob.id AS base_id, ob.ts AS base_ts
            FROM scores sc
            CROSS JOIN outputs oc ON oc.id = sc.output_id
            CROSS JOIN outputs ob ON ob.input_hash = oc.input_hash
            CROSS JOIN scores sb ON sb.output_id = ob.id AND sb.judge = sc.judge
            WHERE sc.passed = 0 AND sc.status = 'ok' AND sc.output_ts >= ? AND sc.output_ts < ?
              AND sb.passed = 1 AND sb.status = 'ok' AND sb.output_ts >= ? AND sb.output_ts < ?
              AND oc.input_hash != '')
        GROUP BY judge, input_hash
        ORDER BY cur_ts DESC
        LIMIT ?
    """
    return conn.execute(sql, (*_bounds(*cur), *_bounds(*base), limit)).fetchall()


def outputs_brief(conn: sqlite3.Connection, ids: Sequence[str]) -> dict[str, sqlite3.Row]:
    """id -> (id, ts, model, task, prompt_version, variant, input_text, output_text)."""
    out: dict[str, sqlite3.Row] = {}
    ids = list(ids)
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        marks = ",".join("?" * len(chunk))
        for r in conn.execute(
            f"SELECT id, ts, model, task, prompt_version, variant, input_text, output_text "
            f"FROM outputs WHERE id IN ({marks})", chunk,
        ):
            out[r["id"]] = r
    return out


def output_stats(conn: sqlite3.Connection, since: float | None, until: float,
                 dims: Sequence[str]) -> list[sqlite3.Row]:
    """Per group of outputs in the window: n, call errors, latency and cost moments."""
    dims = _dims(dims)
    sel = "".join(f"{d}, " for d in dims)
    grp = ("GROUP BY " + ", ".join(dims) + " ORDER BY " + ", ".join(dims)) if dims else ""
    sql = f"""
        SELECT {sel}COUNT(*) AS n,
               SUM(CASE WHEN (error IS NOT NULL AND error != '') THEN 1 ELSE 0 END) AS call_errors,
               COUNT(latency_ms) AS lat_n, SUM(latency_ms) AS lat_sum, SUM(latency_ms * latency_ms) AS lat_sumsq,
               COUNT(cost_pusd) AS cost_n, SUM(cost_pusd) AS cost_sum,
               SUM(CAST(cost_pusd AS REAL) * cost_pusd) AS cost_sumsq
        FROM outputs WHERE ts >= ? AND ts < ? {grp}
    """
    return conn.execute(sql, _bounds(since, until)).fetchall()


def window_feedback(conn: sqlite3.Connection, since: float | None, until: float,
                    names: Sequence[str], dims: Sequence[str]) -> list[sqlite3.Row]:
    """Feedback events named ``names`` on outputs in the window, oldest first,
    with the output's call error and grouping columns."""
    dims = _dims(dims)
    if not names:
        return []
    sel = "".join(f"o.{d} AS {d}, " for d in dims)
    marks = ",".join("?" * len(names))
    sql = f"""
        SELECT {sel}f.output_id, f.name, f.value_num, f.value_text,
               (o.error IS NOT NULL AND o.error != '') AS call_error
        FROM feedback f JOIN outputs o ON o.id = f.output_id
        WHERE o.ts >= ? AND o.ts < ? AND f.name IN ({marks})
        ORDER BY f.rowid
    """
    return conn.execute(sql, (*_bounds(since, until), *names)).fetchall()


def agreement_tables(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    """Per judge, the 2x2 table of judge pass/fail against the human label."""
    sql = """
        SELECT s.judge,
               SUM(s.passed = 1 AND l.label = 'pass') AS both_pass,
               SUM(s.passed = 1 AND l.label = 'fail') AS judge_pass_human_fail,
               SUM(s.passed = 0 AND l.label = 'pass') AS judge_fail_human_pass,
               SUM(s.passed = 0 AND l.label = 'fail') AS both_fail
        FROM labels l CROSS JOIN scores s ON s.output_id = l.output_id  -- few labels: drive from them
        WHERE s.status = 'ok' AND s.passed IS NOT NULL AND l.label IN ('pass', 'fail')
        GROUP BY s.judge ORDER BY s.judge
    """
    return conn.execute(sql).fetchall()


def trend_buckets(conn: sqlite3.Connection, judge: str | None, since: float | None, until: float,
                  bucket_s: int, by: str | None) -> list[sqlite3.Row]:
    """Scores bucketed by ``floor(output_ts / bucket_s)`` (and ``by``), with weighted sums."""
    if by is not None:
        _dims([by])
    key_sel = f", o.{by} AS key" if by else ", NULL AS key"
    join = "JOIN outputs o ON o.id = s.output_id" if by else ""
    judge_cond = "AND s.judge = ?" if judge is not None else ""
    params: list = [int(bucket_s), *_bounds(since, until)]
    if judge is not None:
        params.append(judge)
    sql = f"""
        SELECT bucket, key, {_PASS}, {_SCORE}
        FROM (SELECT CAST(s.output_ts / ? AS INTEGER) AS bucket, s.status, s.passed, s.score,
                     {_W} AS w{key_sel}
              FROM scores s {join} LEFT JOIN samples sm ON sm.output_id = s.output_id
              WHERE s.output_ts >= ? AND s.output_ts < ? {judge_cond})
        GROUP BY bucket, key ORDER BY bucket, key
    """
    return conn.execute(sql, params).fetchall()


def pending_count(conn: sqlite3.Connection, since: float | None = None, until: float | None = None) -> int:
    if until is None:
        return conn.execute("SELECT COUNT(*) FROM samples WHERE status = 'pending'").fetchone()[0]
    return conn.execute(
        "SELECT COUNT(*) FROM samples WHERE status = 'pending' AND output_ts >= ? AND output_ts < ?",
        _bounds(since, until),
    ).fetchone()[0]


def first_output_ts(conn: sqlite3.Connection) -> float | None:
    return conn.execute("SELECT MIN(ts) FROM outputs").fetchone()[0]
