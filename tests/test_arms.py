"""A/B arms and downstream metrics on small known data."""

from __future__ import annotations

import pytest

from evaltop.core.analysis.arms import compare_arms
from evaltop.core.analysis.downstream import downstream_metrics, downstream_trend, feedback_truthy
from evaltop.core.model.window import Window
from tests.analysis_helpers import DAY, NOW, add_feedback, add_outputs, add_samples, add_scores

WINDOW = Window(NOW - DAY, NOW)


@pytest.fixture
def two_arms(conn):
    ts = NOW - 3600
    outs = [
        {
            "id": f"a{i}",
            "ts": ts,
            "task": "chat",
            "model": "gpt-4o-mini",
            "variant": "A",
            "latency_ms": 200.0 + i % 10,
            "cost_pusd": 2_000_000,
            "error": "HTTP 500" if i < 2 else None,
        }
        for i in range(100)
    ]
    outs += [
        {
            "id": f"b{i}",
            "ts": ts,
            "task": "chat",
            "model": "claude-haiku",
            "variant": "B",
            "latency_ms": 400.0 + i % 10,
            "cost_pusd": None if i == 0 else 5_000_000,
        }
        for i in range(60)
    ]
    outs += [{"id": "solo", "ts": ts, "task": "lonely", "model": "gpt-4o-mini", "variant": "A"},
             {"id": "old", "ts": NOW - 3 * DAY, "task": "chat", "model": "other", "variant": "C"}]
    add_outputs(conn, outs)
    add_samples(conn, [(o["id"], 1.0, ts) for o in outs[:160]])
    add_scores(
        conn,
        [
            {"output_id": f"a{i}", "judge": "json_valid", "passed": int(i < 90), "output_ts": ts}
            for i in range(100)
        ]
        + [
            {"output_id": f"b{i}", "judge": "json_valid", "passed": int(i < 30), "output_ts": ts}
            for i in range(60)
        ],
    )
    fb = [{"id": f"tc-a{i}", "output_id": f"a{i}", "name": "task_completed",
           **({"value_text": "true"} if i < 40 else {"value_num": 0})} for i in range(50)]
    fb += [
        {"id": f"tc-b{i}", "output_id": f"b{i}", "name": "task_completed", "value_num": int(i < 10)}
        for i in range(30)
    ]
    fb += [
        {"id": f"th-a{i}", "output_id": f"a{i}", "name": "thumbs", "value_num": 1 if i < 15 else -1}
        for i in range(20)
    ]
    # latest wins
    fb.append({"id": "th-a15-again", "output_id": "a15", "name": "thumbs", "value_num": 1})
    fb += [{"id": f"uc-a{i}", "output_id": f"a{i}", "name": "user_corrected"} for i in range(5)]
    fb += [{"id": f"uc-b{i}", "output_id": f"b{i}", "name": "user_corrected"} for i in range(12)]
    fb += [
        {"id": "err-a1", "output_id": "a1", "name": "error", "value_num": 1},  # also a call error
        {"id": "err-a50", "output_id": "a50", "name": "error", "value_text": "yes"},
        {"id": "unrelated", "output_id": "a60", "name": "clicked", "value_num": 1},
    ]
    add_feedback(conn, fb)
    return conn


def test_downstream_metrics_by_model(two_arms, make_config):
    rows = {
        r["model"]: r for r in downstream_metrics(two_arms, make_config(), WINDOW, by=("model",))
    }
    a, b = rows["gpt-4o-mini"], rows["claude-haiku"]
    assert a["outputs"] == 101 and b["outputs"] == 60  # a's model also served "solo"
    assert (a["task_completion"]["count"], a["task_completion"]["n"]) == (40, 50)
    assert a["task_completion"]["rate"] == pytest.approx(0.8)
    lo, hi = a["task_completion"]["ci95"]
    assert lo < 0.8 < hi
    assert (a["thumbs_up"]["count"], a["thumbs_up"]["n"]) == (16, 20)
    assert (a["user_correction"]["count"], a["user_correction"]["n"]) == (5, 101)
    assert (a["error"]["count"], a["error"]["n"]) == (3, 101)  # 2 call errors + 1 new from feedback
    assert (b["task_completion"]["count"], b["task_completion"]["n"]) == (10, 30)
    assert b["thumbs_up"] == {"rate": None, "count": 0, "n": 0, "ci95": None, "events": 0}
    assert b["user_correction"]["rate"] == pytest.approx(12 / 60)
    assert "other" not in rows  # outside the window


def test_custom_feedback_names_map_to_kinds(two_arms, make_config):
    cfg = make_config({"downstream": {"task_completion": ["clicked"]}})
    rows = {r["model"]: r for r in downstream_metrics(two_arms, cfg, WINDOW, by=("model",))}
    assert (
        rows["gpt-4o-mini"]["task_completion"]["count"],
        rows["gpt-4o-mini"]["task_completion"]["n"],
    ) == (1, 1)


def test_compare_arms(two_arms, make_config):
    [task] = compare_arms(two_arms, make_config(), WINDOW)
    assert task["task"] == "chat" and task["reference"] == {"model": "gpt-4o-mini", "variant": "A"}
    ref, arm = task["arms"]
    assert ref["outputs"] == 100 and arm["outputs"] == 60
    assert ref["judges"]["json_valid"]["pass_rate"] == pytest.approx(0.9)
    assert arm["judges"]["json_valid"]["pass_rate_weighted"] == pytest.approx(0.5)
    assert ref["latency_ms"]["mean"] == pytest.approx(204.5) and arm["latency_ms"][
        "mean"
    ] == pytest.approx(404.5)
    assert ref["cost_per_output_usd"] == pytest.approx(2e-6) and arm[
        "cost_per_output_usd"
    ] == pytest.approx(5e-6)
    assert arm["unpriced_outputs"] == 1 and arm["priced_outputs"] == 59
    assert ref["downstream"]["task_completion"]["rate"] == pytest.approx(0.8)
    vs = arm["vs_reference"]
    assert vs["judge:json_valid"]["delta"] == pytest.approx(-0.4)
    assert vs["judge:json_valid"]["significant"] and vs["judge:json_valid"]["q"] < 0.001
    assert vs["latency_ms"]["delta"] == pytest.approx(200.0) and vs["latency_ms"]["significant"]
    assert vs["cost_per_output_usd"]["delta"] == pytest.approx(3e-6)
    assert vs["task_completion"]["delta"] == pytest.approx(10 / 30 - 0.8)
    assert vs["user_correction"]["delta"] == pytest.approx(12 / 60 - 5 / 100)
    assert ref["vs_reference"] == {}


def test_no_arms_when_one_model_serves_each_task(conn, make_config):
    add_outputs(conn, [{"id": "x", "ts": NOW - 10, "task": "t", "model": "m"}])
    assert compare_arms(conn, make_config(), WINDOW) == []


@pytest.mark.parametrize(
    ("num", "text", "truthy"),
    [
        (1, None, True),
        (0, None, False),
        (-1, None, False),
        (None, "yes", True),
        (None, "False", False),
        (None, "thumbs_down", False),
        (None, "user rewrote the answer", True),
        (None, None, True),
    ],
)
def test_feedback_truthiness(num, text, truthy):
    assert feedback_truthy(num, text) is truthy


def test_downstream_trend_per_bucket(two_arms, make_config):
    cfg = make_config()
    add_outputs(
        two_arms,
        [
            {"id": f"late{i}", "ts": NOW - 600, "task": "chat", "model": "gpt-4o-mini"}
            for i in range(4)
        ],
    )
    add_feedback(two_arms, [{"id": "uc-late0", "output_id": "late0", "name": "user_corrected"}])
    points = downstream_trend(two_arms, cfg, Window(NOW - 7200, NOW), 3600, by="model")
    assert [(p["ts"], p["key"], p["outputs"]) for p in points] == [
        (NOW - 3600, "claude-haiku", 60), (NOW - 3600, "gpt-4o-mini", 101 + 4)]
    hourly = downstream_trend(two_arms, cfg, Window(NOW - 7200, NOW), 600)
    assert [(p["ts"], p["outputs"]) for p in hourly] == [(NOW - 3600, 161), (NOW - 600, 4)]
    assert hourly[1]["user_correction"]["count"] == 1 and hourly[1]["key"] is None
    with pytest.raises(ValueError, match="larger bucket"):
        downstream_trend(two_arms, cfg, Window(None, NOW), 1)


def test_output_counts_from_rollup_and_edges_equal_a_scan(conn):
    from evaltop.store.analysis_queries import output_counts

    add_outputs(conn, [{"id": f"o{i}", "ts": NOW - 5 * 3600 + i * 97.3, "model": "ab"[i % 2],
                        "error": "x" if i % 7 == 0 else None} for i in range(180)])
    for since, until in (
        (NOW - 4.5 * 3600 + 11, NOW - 1234.5),
        (NOW - 3000, NOW - 1000),
        (None, NOW),
    ):
        got = {
            r["model"]: (r["n"], r["call_errors"])
            for r in output_counts(conn, since, until, ("model",))
        }
        want = {
            r[0]: (r[1], r[2])
            for r in conn.execute(
                "SELECT model, COUNT(*), SUM(error IS NOT NULL) FROM outputs "
                "WHERE ts >= ? AND ts < ? GROUP BY model",
                (-1e18 if since is None else since, until),
            )
        }
        assert got == want and sum(n for n, _e in got.values()) > 0
    # the whole hours really come from the rollup (the cheap path), the edges from outputs
    conn.execute("DELETE FROM rollup_hourly")
    edges_only = output_counts(conn, NOW - 4.5 * 3600 + 11, NOW - 1234.5, ("model",))
    assert 0 < sum(r["n"] for r in edges_only) < sum(n for n, _e in got.values())
