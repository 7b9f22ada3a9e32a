"""Read-only aggregate queries behind the analysis (scores, regressions, arms,
downstream, agreement, trends).

Aggregation happens here, in SQL: only per-group counts and weighted sums
leave the database (columns named like ``core.analysis.stats.WeightedAgg``
fields, with a ``p_`` prefix for pass/fail and ``s_`` for scores). A score's
weight is ``1 / samples.probability`` (1 when the output has no sample row).
Grouping columns come from a fixed whitelist, never from user text.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Callable, Iterable, Sequence

from evaltop.store.rollups import scores as sr

DIMENSIONS = ("task", "model", "prompt_version", "variant")
NO_START = -1e18  # "since the beginning"
HOUR = 3600

_W = "1.0 / COALESCE(NULLIF(sm.probability, 0), 1.0)"


def _sums(prefix: str, y: str, cond: str) -> str:
    """The nine WeightedAgg columns for value ``y`` over rows where ``cond``."""
    def agg(expr: str) -> str:
        return f"SUM(CASE WHEN {cond} THEN {expr} END)"
    parts = {
        "n": f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END)",
        "sum_y": agg(y),
        "sum_yy": agg(f"{y} * {y}"),
        "sum_w": agg("w"),
        "sum_wy": agg(f"w * {y}"),
        "sum_wyy": agg(f"w * {y} * {y}"),
        "sum_ww": agg("w * w"),
        "sum_wwy": agg(f"w * w * {y}"),
        "sum_wwyy": agg(f"w * w * {y} * {y}"),
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


def _split(
    conn: sqlite3.Connection,
    since: float | None,
    until: float,
    scan: Callable[[float | None, float], Iterable],
    rollup: Callable[[int, int], Iterable],
) -> list:
    """Row sets covering ``[since, until)``: whole hours from the rollup (when
    installed), the partial hours at either edge from ``scan``."""
    lo = -(2**62) if since is None else math.ceil(since / HOUR)
    hi = math.floor(until / HOUR)
    if lo >= hi or not sr.installed(conn):
        return [scan(since, until)]
    parts = [rollup(lo, hi)]
    if since is not None and since < lo * HOUR:
        parts.append(scan(since, lo * HOUR))
    if hi * HOUR < until:
        parts.append(scan(hi * HOUR, until))
    return parts


def _none_first(value: object) -> tuple:
    return (value is not None, value)


def _merge(parts: list[Iterable], keys: list[str]) -> list[dict]:
    """Add up rows of the same group (``rows``, counts and sums; ``kind`` the
    least), drop groups without a score, in SQL's order (NULL first)."""
    acc: dict[tuple, dict] = {}
    for rows in parts:
        for r in rows:
            k = tuple(r[c] for c in keys)
            cur = acc.get(k)
            if cur is None:
                acc[k] = dict(r)
                continue
            for c, v in dict(r).items():
                if c in keys or v is None:
                    continue
                if c == "kind":
                    cur[c] = v if cur[c] is None else min(cur[c], v)
                else:
                    cur[c] = v if cur[c] is None else cur[c] + v
    return [
        acc[k]
        for k in sorted(acc, key=lambda k: tuple(_none_first(v) for v in k))
        if acc[k]["rows"]
    ]


def score_aggregates(conn: sqlite3.Connection, since: float | None, until: float,
                     dims: Sequence[str] = ()) -> list[dict]:
    """Per judge (and ``dims``): judged/errors counts and weighted sums for
    pass/fail (``p_*``) and score (``s_*``), over scores whose output ts is in
    ``[since, until)``. Whole hours come from the score rollup, the partial
    hours at the edges from ``scores`` (the same sums as a scan of the window)."""
    dims = _dims(dims)
    keys = ["judge", *dims]
    parts = _split(conn, since, until, lambda a, b: _scan_aggregates(conn, a, b, dims),
                   lambda lo, hi: sr.hourly(conn, lo, hi, keys, dims=dims))
    return _merge(parts, keys)


def _scan_aggregates(conn: sqlite3.Connection, since: float | None, until: float,
                     dims: Sequence[str]) -> list[sqlite3.Row]:
    dim_sel = "".join(f", o.{d} AS {d}" for d in dims)
    dim_grp = "".join(f", {d}" for d in dims)
    join = "JOIN outputs o ON o.id = s.output_id" if dims else ""
    sql = f"""
        SELECT judge, MIN(kind) AS kind{dim_grp}, COUNT(*) AS rows,
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


PROMPT_SCAN_LIMIT = 20_000  # current failures examined at most (newest first)


def prompt_regressions(conn: sqlite3.Connection, cur: tuple[float | None, float],
                       base: tuple[float | None, float], limit: int) -> list[dict]:
    """Same input hash, same judge: passed in ``base``, failed in ``cur``.

    Walks the current window's failures newest first (index on passed,
    output_ts) and looks up one passing baseline output of the same hash per
    (judge, hash), stopping at ``limit`` hits or after
    :data:`PROMPT_SCAN_LIMIT` failures. Returns dicts with judge, input_hash,
    cur_id, cur_ts, base_id, base_ts.
    """
    failures = conn.execute(
        """
        SELECT sc.judge, oc.input_hash, oc.id AS cur_id, oc.ts AS cur_ts
        FROM scores sc CROSS JOIN outputs oc ON oc.id = sc.output_id
        WHERE sc.passed = 0 AND sc.status = 'ok' AND sc.output_ts >= ? AND sc.output_ts < ?
          AND oc.input_hash != ''
        ORDER BY sc.output_ts DESC
        LIMIT ?
        """,
        (*_bounds(*cur), PROMPT_SCAN_LIMIT),
    )
    base_lo, base_hi = _bounds(*base)
    seen: set[tuple[str, str]] = set()
    hits: list[dict] = []
    for f in failures.fetchall():
        key = (f["judge"], f["input_hash"])
        if key in seen:
            continue
        seen.add(key)
        passed = conn.execute(
            """
            SELECT ob.id, ob.ts FROM outputs ob CROSS JOIN scores sb ON sb.output_id = ob.id
            WHERE ob.input_hash = ? AND sb.judge = ? AND sb.passed = 1 AND sb.status = 'ok'
              AND sb.output_ts >= ? AND sb.output_ts < ?
            ORDER BY sb.output_ts DESC LIMIT 1
            """,
            (f["input_hash"], f["judge"], base_lo, base_hi),
        ).fetchone()
        if passed is not None:
            hits.append({"judge": f["judge"], "input_hash": f["input_hash"], "cur_id": f["cur_id"],
                         "cur_ts": f["cur_ts"], "base_id": passed["id"], "base_ts": passed["ts"]})
            if len(hits) >= limit:
                break
    return hits


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
               SUM(error IS NOT NULL) AS call_errors,
               COUNT(latency_ms) AS lat_n, SUM(latency_ms) AS lat_sum,
               SUM(latency_ms * latency_ms) AS lat_sumsq,
               COUNT(cost_pusd) AS cost_n, SUM(cost_pusd) AS cost_sum,
               SUM(CAST(cost_pusd AS REAL) * cost_pusd) AS cost_sumsq
        FROM outputs WHERE ts >= ? AND ts < ? {grp}
    """
    return conn.execute(sql, _bounds(since, until)).fetchall()



def output_counts(conn: sqlite3.Connection, since: float | None, until: float,
                  dims: Sequence[str]) -> list[dict]:
    """Per group: outputs ``n`` and ``call_errors`` (error set) in the window.

    Whole hours come from ``rollup_hourly`` (kept by ingest in the same
    transaction as the rows), the partial hours at the edges from
    ``outputs``: exact for any window, cheap for a 90-day one.
    """
    dims = _dims(dims)
    sel = "".join(f"{d}, " for d in dims)
    grp = ("GROUP BY " + ", ".join(dims)) if dims else ""
    acc: dict[tuple, list[int]] = {}

    def add(sql: str, params: tuple) -> None:
        for r in conn.execute(sql, params):
            a = acc.setdefault(tuple(r[d] for d in dims), [0, 0])
            a[0] += int(r["n"] or 0)
            a[1] += int(r["call_errors"] or 0)

    from_outputs = (f"SELECT {sel}COUNT(*) AS n, SUM(error IS NOT NULL) AS call_errors "
                    f"FROM outputs WHERE ts >= ? AND ts < ? {grp}")
    lo = -(2**62) if since is None else math.ceil(since / HOUR)
    hi = math.floor(until / HOUR)
    if lo < hi:
        add(f"SELECT {sel}SUM(outputs) AS n, SUM(errors) AS call_errors FROM rollup_hourly "
            f"WHERE hour >= ? AND hour < ? {grp}", (lo, hi))
        if since is not None and since < lo * HOUR:
            add(from_outputs, (since, lo * HOUR))
        if hi * HOUR < until:
            add(from_outputs, (hi * HOUR, until))
    else:
        add(from_outputs, _bounds(since, until))
    return [{**dict(zip(dims, k, strict=True)), "n": v[0], "call_errors": v[1]}
            for k, v in sorted(acc.items(), key=lambda kv: tuple(str(x) for x in kv[0]))]


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
        SELECT {sel}f.output_id, f.name, f.value_num, f.value_text, o.ts AS output_ts,
               (o.error IS NOT NULL) AS call_error
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
        -- few labels: drive the join from them
        FROM labels l CROSS JOIN scores s ON s.output_id = l.output_id
        WHERE s.status = 'ok' AND s.passed IS NOT NULL AND l.label IN ('pass', 'fail')
        GROUP BY s.judge ORDER BY s.judge
    """
    return conn.execute(sql).fetchall()


def trend_buckets(conn: sqlite3.Connection, judge: str | None, since: float | None, until: float,
                  bucket_s: int, by: str | None) -> list[dict]:
    """Scores bucketed by ``floor(output_ts / bucket_s)`` (and ``by``), with
    weighted sums; whole-hour buckets come from the score rollup."""
    if by is not None:
        _dims([by])
    bucket_s = int(bucket_s)
    if bucket_s % HOUR:  # buckets that split hours: scan
        return [dict(r) for r in _scan_trend(conn, judge, since, until, bucket_s, by)]
    group = [f"hour / {bucket_s // HOUR} AS bucket", f"{by or 'NULL'} AS key"]
    parts = _split(
        conn,
        since,
        until,
        lambda a, b: _scan_trend(conn, judge, a, b, bucket_s, by),
        lambda lo, hi: sr.hourly(
            conn, lo, hi, group, dims=(by,) if by else (), judge=judge, counts=False
        ),
    )
    return _merge(parts, ["bucket", "key"])


def _scan_trend(conn: sqlite3.Connection, judge: str | None, since: float | None, until: float,
                bucket_s: int, by: str | None) -> list[sqlite3.Row]:
    key_sel = f", o.{by} AS key" if by else ", NULL AS key"
    join = "JOIN outputs o ON o.id = s.output_id" if by else ""
    judge_cond = "AND s.judge = ?" if judge is not None else ""
    params: list = [int(bucket_s), *_bounds(since, until)]
    if judge is not None:
        params.append(judge)
    sql = f"""
        SELECT bucket, key, COUNT(*) AS rows, {_PASS}, {_SCORE}
        FROM (SELECT CAST(s.output_ts / ? AS INTEGER) AS bucket, s.status, s.passed, s.score,
                     {_W} AS w{key_sel}
              FROM scores s {join} LEFT JOIN samples sm ON sm.output_id = s.output_id
              WHERE s.output_ts >= ? AND s.output_ts < ? {judge_cond})
        GROUP BY bucket, key ORDER BY bucket, key
    """
    return conn.execute(sql, params).fetchall()


def pending_count(
    conn: sqlite3.Connection, since: float | None = None, until: float | None = None
) -> int:
    if until is None:
        return conn.execute("SELECT COUNT(*) FROM samples WHERE status = 'pending'").fetchone()[0]
    return conn.execute(
        "SELECT COUNT(*) FROM samples WHERE status = 'pending'"
        " AND output_ts >= ? AND output_ts < ?",
        _bounds(since, until),
    ).fetchone()[0]


def first_output_ts(conn: sqlite3.Connection) -> float | None:
    return conn.execute("SELECT MIN(ts) FROM outputs").fetchone()[0]
