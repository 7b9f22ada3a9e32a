"""The rollups behind the dashboard (score_rollup_hourly, judge_spend_daily,
rollup_daily for budgets) give the same answers as scanning the raw rows: on
a seeded store, after more data arrives, after scores/samples/calls change or
go away, at hour and day boundaries, and on an older file without them."""

from __future__ import annotations

import math
import random

import pytest

from evaltop.core.analysis.regressions import find_regressions
from evaltop.core.analysis.scores import judge_summaries
from evaltop.core.model.config import validate
from evaltop.core.model.window import Window
from evaltop.store import analysis_queries as aq
from evaltop.store import db, inference_queries, judge_calls
from evaltop.store.rollups.hourly import window_totals
from tests.analysis_helpers import DAY, NOW, add_outputs, add_samples, add_scores

HOUR = 3600.0
MODELS, TASKS = ("m-a", "m-b"), ("t1", "t2", "t3")
JUDGES = (("json_valid", "rule"), ("quality", "llm"))


def _traffic(conn, rng: random.Random, start: float, end: float, n: int, prefix: str) -> None:
    outs, samples, scores = [], [], []
    for i in range(n):
        oid, ts = f"{prefix}{i}", rng.uniform(start, end)
        outs.append({"id": oid, "ts": ts, "model": rng.choice(MODELS), "task": rng.choice(TASKS),
                     "prompt_version": rng.choice(("v1", "v2")), "variant": rng.choice(("", "b"))})
        if rng.random() < 0.6:
            samples.append((oid, rng.choice((0.05, 0.2, 0.5, 1.0)), ts))
        for judge, kind in JUDGES:
            r = rng.random()
            if r < 0.05:
                scores.append(
                    {
                        "output_id": oid,
                        "judge": judge,
                        "kind": kind,
                        "status": "error",
                        "output_ts": ts,
                    }
                )
            elif kind == "llm":
                s = rng.randint(1, 5)
                scores.append({"output_id": oid, "judge": judge, "kind": kind, "score": float(s),
                               "passed": None if r < 0.1 else int(s >= 3), "output_ts": ts})
            else:
                scores.append(
                    {
                        "output_id": oid,
                        "judge": judge,
                        "kind": kind,
                        "passed": int(r < 0.8),
                        "score": float(r < 0.8),
                        "output_ts": ts,
                    }
                )
    add_outputs(conn, outs)
    add_samples(conn, samples)
    add_scores(conn, scores)


def _same(new: list[dict], old: list) -> None:
    old = [dict(r) for r in old]
    assert len(new) == len(old)
    for a, b in zip(new, old, strict=True):
        for k in b:
            x, y = a[k], b[k]
            if isinstance(x, float) or isinstance(y, float):
                assert math.isclose(x or 0.0, y or 0.0, rel_tol=1e-9, abs_tol=1e-9), (k, x, y)
            elif k.startswith(("p_", "s_")):
                assert (x or 0) == (y or 0), (k, x, y)
            else:
                assert x == y, (k, x, y)


WINDOWS = [
    (NOW - DAY + 123.4, NOW + 1),          # ragged both ends
    (NOW - 8 * DAY + 0.5, NOW - DAY + 123.4),
    (NOW - 3 * DAY, NOW),                  # hour-aligned both ends
    (NOW - 2 * HOUR + 10, NOW - HOUR - 10),  # inside two hours
    (None, NOW + 1),
]


def _check_scores(conn) -> None:
    for since, until in WINDOWS:
        for dims in ((), aq.DIMENSIONS, ("model",), ("task",), ("variant",), ("task", "model")):
            _same(
                aq.score_aggregates(conn, since, until, dims),
                aq._scan_aggregates(conn, since, until, list(dims)),
            )
        for bucket in (HOUR, 6 * HOUR, DAY, 900):
            for by in (None, "model", "task"):
                for judge in (None, "quality"):
                    _same(aq.trend_buckets(conn, judge, since, until, int(bucket), by),
                          aq._scan_trend(conn, judge, since, until, int(bucket), by))


@pytest.fixture
def store(tmp_path):
    conn = db.connect(tmp_path / "r.db")
    _traffic(conn, random.Random(7), NOW - 9 * DAY, NOW, 1500, "a")
    yield conn
    conn.close()


def test_score_aggregates_and_trends_equal_a_scan(store):
    for table in ("score_rollup_hourly", "score_rollup_judge_hourly", "score_rollup_model_hourly",
                  "score_rollup_task_hourly"):
        assert store.execute(f"SELECT sum(rows) FROM {table}").fetchone()[0] == \
            store.execute("SELECT count(*) FROM scores").fetchone()[0]
    _check_scores(store)


def test_still_equal_after_more_data_and_changes(store):
    _traffic(store, random.Random(8), NOW - 2 * DAY, NOW + 1, 400, "b")
    with db.write(store):
        store.execute(
            "UPDATE scores SET status = 'ok', passed = 1, score = 4.0 WHERE status = 'error' "
            "AND rowid % 2 = 0"
        )
        # not a counted column
        store.execute("UPDATE scores SET reason = 'why' WHERE rowid % 5 = 0")
        store.execute("DELETE FROM scores WHERE rowid % 7 = 0")
        store.execute("UPDATE samples SET probability = probability * 2 WHERE rowid % 3 = 0")
        store.execute("DELETE FROM samples WHERE rowid % 11 = 0")
    # a sample written after its output's scores re-weights them
    unsampled = [
        r[0]
        for r in store.execute(
            "SELECT o.id FROM outputs o "
            "WHERE NOT EXISTS (SELECT 1 FROM samples s WHERE s.output_id = o.id) "
            "AND EXISTS (SELECT 1 FROM scores x WHERE x.output_id = o.id) LIMIT 50"
        )
    ]
    add_samples(
        store,
        [
            (oid, 0.1, store.execute("SELECT ts FROM outputs WHERE id = ?", (oid,)).fetchone()[0])
            for oid in unsampled
        ],
    )
    assert unsampled
    _check_scores(store)


def test_hour_boundaries(tmp_path):
    conn = db.connect(tmp_path / "b.db")
    h = NOW - 5 * HOUR
    edge = [h, math.nextafter(h, 0), h + HOUR - 1e-6, h - HOUR, math.nextafter(h - HOUR, 0)]
    add_outputs(
        conn, [{"id": f"e{i}", "ts": ts, "model": "m", "task": "t"} for i, ts in enumerate(edge)]
    )
    add_scores(
        conn,
        [
            {
                "output_id": f"e{i}",
                "judge": "j",
                "passed": i % 2,
                "score": float(i),
                "output_ts": ts,
            }
            for i, ts in enumerate(edge)
        ],
    )
    hours = dict(
        conn.execute("SELECT hour, sum(rows) FROM score_rollup_hourly GROUP BY hour").fetchall()
    )
    want: dict[int, int] = {}
    for ts in edge:  # each score in the hour that holds it exactly, nextafter included
        want[math.floor(ts / HOUR)] = want.get(math.floor(ts / HOUR), 0) + 1
    assert hours == want
    for since in (h, math.nextafter(h, 0), h - HOUR, h + 1):
        for until in (h + HOUR, h + HOUR - 1e-6, NOW):
            _same(aq.score_aggregates(conn, since, until, ("model",)),
                  aq._scan_aggregates(conn, since, until, ["model"]))
            assert sum(r["rows"] for r in aq.score_aggregates(conn, since, until)) == \
                sum(since <= ts < until for ts in edge)
    conn.close()


def test_analysis_results_identical_with_and_without_the_rollup(store, tmp_path):
    cfg = validate(
        {"analysis": {"since": "24h", "baseline": "7d", "min_n": 5}},
        origin="<t>",
        base_dir=tmp_path,
    )
    cur = Window(NOW - DAY + 17.25, NOW + 1)
    base = Window(NOW - 8 * DAY + 17.25, NOW - DAY + 17.25)
    with_rollup = (find_regressions(store, cfg, cur, base), judge_summaries(store, cur))
    assert with_rollup[0] and with_rollup[1]
    with db.write(store):  # an older file a read-only watcher might open: no rollup tables
        for grain in ("", "_judge", "_model", "_task"):
            store.execute(f"DROP TABLE score_rollup{grain}_hourly")
    assert (find_regressions(store, cfg, cur, base), judge_summaries(store, cur)) == with_rollup


def _calls(conn, rng: random.Random, n: int, start: float, end: float) -> None:
    with db.write(conn):
        conn.executemany(
            "INSERT INTO judge_calls (judge, model, output_id, status, input_tokens, "
            "output_tokens, cost_pusd, cost_known, ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    rng.choice(("quality", "tone")),
                    rng.choice(("x", "y")),
                    f"o{i}",
                    rng.choice(("ok", "ok", "error")),
                    rng.randint(10, 900),
                    rng.randint(1, 99),
                    rng.randint(0, 10**9),
                    int(rng.random() < 0.9),
                    rng.uniform(start, end),
                )
                for i in range(n)
            ]
            + [
                ("quality", "x", "edge", "ok", 1, 1, 5, 1, ts)
                for ts in (NOW - DAY, math.nextafter(NOW - DAY, 0))
            ],
        )


def _check_spend(conn) -> None:
    windows = [(NOW - 30 * DAY + 77.7, NOW + 1), (NOW - 29 * DAY, NOW + 1), (NOW - DAY, NOW),
               (NOW - 5 * HOUR, NOW - HOUR), (None, NOW + 1)]
    for since, until in windows:
        for by in ("judge", "model", "day"):
            assert judge_calls.judge_spend_by(conn, by, since, until) == \
                [dict(r) for r in judge_calls._judge_calls_scan(
                    conn, judge_calls._JUDGE_SPEND_BY[by], since, until)]
        assert judge_calls.judge_spend_total(conn, since, until) == conn.execute(
            "SELECT coalesce(sum(cost_pusd), 0) FROM judge_calls WHERE ts >= ? AND ts < ?",
            (-1e18 if since is None else since, until)).fetchone()[0]
        if since is not None:
            t = window_totals(conn, since, until)
            assert inference_queries.spend_in(conn, since, until) == (
                (t[0].cost_pusd, t[0].unpriced_outputs) if t else (0, 0)
            )


def test_judge_spend_and_inference_spend_equal_a_scan(tmp_path):
    conn = db.connect(tmp_path / "s.db")
    rng = random.Random(3)
    _calls(conn, rng, 800, NOW - 40 * DAY, NOW)
    add_outputs(
        conn,
        [
            {
                "id": f"p{i}",
                "ts": rng.uniform(NOW - 40 * DAY, NOW),
                "model": rng.choice(MODELS),
                "cost_pusd": rng.choice((None, rng.randint(1, 10**8))),
            }
            for i in range(600)
        ],
    )
    with db.write(conn):  # add_outputs fills counts only; the priced columns as ingest keeps them
        conn.execute("DELETE FROM rollup_hourly")
        conn.execute(
            "INSERT INTO rollup_hourly (hour, model, task, prompt_version, variant, outputs, "
            "unpriced_outputs, cost_pusd) SELECT CAST(ts / 3600 AS INTEGER), model, task, "
            "prompt_version, variant, count(*), sum(cost_pusd IS NULL), "
            "coalesce(sum(cost_pusd), 0) FROM outputs GROUP BY 1, 2, 3, 4, 5"
        )
    _check_spend(conn)
    _calls(conn, rng, 200, NOW - 3 * DAY, NOW)
    with db.write(conn):  # settled, re-priced, dropped
        conn.execute(
            "UPDATE judge_calls SET cost_pusd = cost_pusd + 7, cost_known = 1 WHERE rowid % 3 = 0"
        )
        conn.execute("DELETE FROM judge_calls WHERE rowid % 13 = 0")
    _check_spend(conn)
    conn.close()


def test_interval_quantile_is_scipy_norm_ppf_bit_for_bit():
    """stats.z_for uses scipy.special.ndtri (cheap to import) instead of
    scipy.stats: every interval must come out exactly as before."""
    from scipy import stats as sps

    from evaltop.core.analysis.stats import z_for

    for conf in [i / 1000 for i in range(1, 1000)] + [0.95, 0.99, 0.999, 0.9999]:
        assert z_for(conf) == float(sps.norm.ppf(0.5 + conf / 2))
