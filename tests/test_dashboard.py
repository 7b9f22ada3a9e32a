"""View-model functions the screens call: filter language, keyset paging in
every sort order, neighbours, budgets and spend arithmetic, case JSON."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from tui_helpers import NOW, seed, seed_config

from evaltop.core.analysis.regressions import Regression, Segment
from evaltop.core.views import cases as dc
from evaltop.core.views import dashboard
from evaltop.store import cases as store_cases
from evaltop.store import db as store_db
from evaltop.store import inference_queries as q


@pytest.fixture
def ro(tmp_path):
    conn = store_db.connect(seed(tmp_path / "evaltop.db"), readonly=True)
    yield conn
    conn.close()


def test_filter_language():
    f = dc.parse_filter(
        'model:gpt-4o-mini task:"sql gen" judge:json_valid since:2h refund timeout', NOW
    )
    assert (f.model, f.task, f.judge, f.text, f.failing) == ("gpt-4o-mini", "sql gen", "json_valid",
                                                             "refund timeout", True)
    assert f.since == NOW - 7200
    assert (
        dc.parse_filter("prompt:v2 variant:B sort:oldest", NOW, failing=False).prompt_version
        == "v2"
    )
    assert dc.parse_filter("error: timeout", NOW).text == "error: timeout"  # unknown keys are text
    assert (
        dc.describe_filter(f) == "model:gpt-4o-mini task:'sql gen' judge:json_valid refund timeout"
    )
    for bad, says in (('task:"open', "close the quote"), ("since:yesterday", "since:"),
                      ("sort:best", "newest, oldest"), ("model:", "needs a value")):
        with pytest.raises(ValueError, match=says):
            dc.parse_filter(bad, NOW)


@pytest.mark.parametrize("sort", store_cases.SORTS)
@pytest.mark.parametrize("failing", [True, False])
def test_keyset_pages_cover_the_list_exactly_once(ro, sort, failing):
    f = dc.parse_filter(f"sort:{sort}", NOW, failing=failing)
    everything = store_cases.cases_page(ro, f, limit=10_000)
    paged, after = [], None
    while True:
        rows = dc.page(ro, f, after, limit=37)
        if not rows:
            break
        paged += rows
        after = rows[-1]["key"]
    assert [r["row_key"] for r in paged] == [r["row_key"] for r in everything]
    assert len({r["row_key"] for r in paged}) == len(paged) > 37
    if failing:
        assert all(r["passed"] == 0 for r in paged)
    mid = paged[50]
    assert dc.neighbour(ro, f, mid["key"], 1)["row_key"] == paged[51]["row_key"]
    assert dc.neighbour(ro, f, mid["key"], -1)["row_key"] == paged[49]["row_key"]
    assert dc.neighbour(ro, f, paged[-1]["key"], 1) is None
    assert dc.neighbour(ro, f, paged[0]["key"], -1) is None
    before = dc.page_before(ro, f, paged[80]["key"], limit=30)
    assert [r["row_key"] for r in before] == [r["row_key"] for r in paged[50:80]]


def test_text_filter_matches_input_and_output_literally(ro):
    rows = dc.page(ro, dc.parse_filter("customer c3 place", NOW, failing=False), limit=1000)
    inputs = [
        ro.execute("SELECT input_text FROM outputs WHERE id = ?", (r["id"],)).fetchone()[0]
        for r in rows
    ]
    assert len(rows) == 900 // 7 + 1 and all("customer c3 place" in t for t in inputs)
    # LIKE wildcards are literal
    assert len(dc.page(ro, dc.parse_filter("100%_", NOW, failing=False))) == 0
    assert [r["id"] for r in dc.page(ro, dc.parse_filter("out-000042", NOW, failing=False))] == [
        "out-000042"
    ]


def test_budget_lines_and_spend_add_up(ro, make_config):
    cfg = seed_config(make_config)
    lines = {b.name: b for b in dashboard.budget_lines(ro, cfg, NOW)}
    day0 = dashboard.day_start(NOW)
    today_inf = ro.execute(
        "SELECT coalesce(sum(cost_pusd),0) FROM outputs WHERE ts >= ?", (day0,)
    ).fetchone()[0]
    today_judge = ro.execute(
        "SELECT sum(cost_pusd) FROM judge_calls WHERE ts >= ?", (day0,)
    ).fetchone()[0]
    assert lines["inference today"].spent_pusd == today_inf
    assert lines["judge today"].spent_pusd == today_judge
    assert lines["judge today"].cap_pusd == 5 * 10**12
    assert lines["judge today"].fraction == pytest.approx(today_judge / (5 * 10**12))
    s = dashboard.spend(ro, cfg, NOW)
    total = ro.execute("SELECT coalesce(sum(cost_pusd),0) FROM outputs").fetchone()[0]
    assert s.by_kind[0]["cost_pusd"] == total == sum(r["inference_pusd"] for r in s.by_day)
    assert s.by_kind[0]["unpriced"] == 300 and s.unpriced == [
        {"model": "llama-3.1-8b", "outputs": 300}
    ]
    assert s.by_kind[1]["count"] == ro.execute("SELECT count(*) FROM judge_calls").fetchone()[0]


def test_overview_numbers(ro, make_config):
    o = dashboard.overview(ro, seed_config(make_config), NOW)
    assert o.outputs == 450 and o.judged == 225 and len(o.spark_outputs) == 24
    rates = {r.judge: r for r in o.rates}
    js = ro.execute(
        "SELECT sum(passed), count(*) FROM scores WHERE judge = 'json_valid' AND output_ts >= ?",
        (NOW - 86400,),
    ).fetchone()
    assert rates["json_valid"].passed == js[0] and rates["json_valid"].n == js[1]
    assert o.alerts[0]["level"] == "critical"  # newest unacknowledged first
    assert all(isinstance(r, Regression) for r in o.regressions)


def test_case_detail_and_json(ro, tmp_path):
    d = dc.detail(ro, "out-000010")
    assert [m["role"] for m in d.messages] == ["system", "user"]
    assert {s["judge"] for s in d.scores} == {"json_valid", "helpfulness"}
    assert d.feedback == [] and d.sample["status"] == "done"
    path, text = dc.save_case_json(d, tmp_path / "cases")
    data = json.loads(path.read_text())
    assert data["id"] == "out-000010" and data["usage"]["estimated"] is False
    assert text.strip() == path.read_text().strip()
    assert dc.detail(ro, "nope") is None


def test_segment_filter_from_a_regression():
    f = dc.segment_filter(Segment(task="sql", model="m", prompt_version="*", variant=""), "judge-a")
    assert (f.task, f.model, f.prompt_version, f.variant, f.judge) == (
        "sql", "m", None, "", "judge-a")


def _daily_vs_hourly(conn):
    daily = conn.execute(
        "SELECT day, model, outputs, unpriced_outputs, cost_pusd FROM rollup_daily "
        "WHERE outputs != 0 OR cost_pusd != 0 ORDER BY day, model"
    ).fetchall()
    hourly = conn.execute(
        "SELECT hour / 24, model, sum(outputs), sum(unpriced_outputs), sum(cost_pusd) "
        "FROM rollup_hourly GROUP BY 1, 2 ORDER BY 1, 2"
    ).fetchall()
    return [tuple(r) for r in daily], [tuple(r) for r in hourly]


def test_rollup_daily_follows_every_hourly_change(conn):
    from evaltop.store.rollups import hourly as rollups

    def row(hour, model, outputs, cost, unpriced=0):
        return (hour, model, "t", "v1", "", outputs, 0, 10, 5, 0, 0, 0, 0, unpriced, cost, 100.0)

    with store_db.write(conn):
        rollups.add(conn, [row(24 * 100 + 1, "a", 2, 50), row(24 * 100 + 23, "a", 1, 7),
                           row(24 * 101, "a", 4, 1), row(24 * 100 + 5, "b", 3, 0, unpriced=3)])
        rollups.add(conn, [row(24 * 100 + 1, "a", 5, 100)])  # upsert: an UPDATE of the same hour
    daily, hourly = _daily_vs_hourly(conn)
    assert daily == hourly == [(100, "a", 8, 0, 157), (100, "b", 3, 3, 0), (101, "a", 4, 0, 1)]
    with store_db.write(conn):
        conn.execute("UPDATE rollup_hourly SET model = 'c' WHERE model = 'b'")
        conn.execute("DELETE FROM rollup_hourly WHERE hour = ?", (24 * 101,))
    daily, hourly = _daily_vs_hourly(conn)
    assert daily == hourly == [(100, "a", 8, 0, 157), (100, "c", 3, 3, 0)]


def test_day_aligned_windows_read_days_and_todays_hours(ro):
    """The daily path and the hourly path give the same sums (month, 30 days)."""
    since = dashboard.day_start(NOW) - 5 * 86400
    fast = q.inference_by(ro, "model", since, NOW)
    slow = ro.execute(
        "SELECT model, sum(outputs), sum(cost_pusd), sum(unpriced_outputs) FROM rollup_hourly "
        "WHERE hour BETWEEN ? AND ? GROUP BY model ORDER BY model",
        (int(since // 3600), int(NOW // 3600)),
    ).fetchall()
    assert [(r["k"], r["outputs"], r["cost_pusd"], r["unpriced_outputs"]) for r in fast] == [
        tuple(r) for r in slow
    ]
    assert q.inference_totals(ro, since, NOW)["outputs"] == sum(r[1] for r in slow)


def test_screens_flag_the_analysis_direction_not_the_delta_sign():
    """A regression row is red because the analysis says "regressed"; the
    screens no longer recompute it from the delta."""
    from evaltop.tui.screens.overview import regression_cells
    from evaltop.tui.screens.regressions import row_cells

    base = Regression(Segment(task="t"), "j", "rule", "pass_rate", 0.9, 0.8, 0.9, 0.8, -0.1, 50, 50,
                      p=0.001, q=0.002, significant=True, direction="regressed")
    assert row_cells(base, 0)["flag"].plain.endswith("▼ REGRESSED")
    assert row_cells(base, 0, narrow=True)["delta"].plain.startswith("▼")
    assert regression_cells(base, 0)[4].style == "bold red"
    other = replace(base, direction="improved")  # the analysis decides, whatever the delta
    assert "▲ improved" in row_cells(other, 0)["flag"].plain
    assert regression_cells(other, 0)[4].style == ""
