"""Budget alerts: thresholds once per period, forecasts, judge caps, webhook
delivery to a real loopback receiver, and the report contract."""

from __future__ import annotations

from datetime import UTC, datetime

from webhook_server import WebhookReceiver

from evaltop.core.model.money import usd_to_pusd
from evaltop.core.model.window import Window
from evaltop.core.ops import alerts, inference_budget
from evaltop.core.views.report import alerts as alerts_report
from evaltop.core.views.report.context import ReportContext
from evaltop.store.db import write
from evaltop.store.rollups import hourly as rollups

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC).timestamp()  # noon UTC
DAY0 = datetime(2026, 11, 27, tzinfo=UTC).timestamp()
_seq = [0]


def add_output(conn, ts: float, usd: str | None, model: str = "gpt-4o") -> None:
    """One output and its rollup increment, as ingest writes them (one transaction)."""
    _seq[0] += 1
    cost = None if usd is None else usd_to_pusd(usd)
    with write(conn):
        conn.execute(
            "INSERT INTO outputs (id, ts, model, cost_pusd, ingested_at) VALUES (?, ?, ?, ?, ?)",
            (f"o{_seq[0]}", ts, model, cost, ts),
        )
        rollups.add(conn, [(rollups.hour_of(ts), model, "", "", "", 1, 0, 0, 0, 0, 0, 0, 0,
                            int(cost is None), cost or 0, 0.0)])


def budget_cfg(make_config, **budgets):
    base = {"alert_at": [0.5, 0.8, 1.0]}
    base.update(budgets)
    return make_config({"budgets": base})


def keys(new):
    return [a["dedupe_key"] for a in new]


def only(kind, new):
    return [a for a in new if a["kind"] == kind]


def test_each_threshold_fires_once_per_day(make_config, conn):
    cfg = budget_cfg(make_config, inference_daily_usd=10.0)
    add_output(conn, DAY0 - 3 * 86400, "0")  # old history: keeps the forecast modest
    add_output(conn, DAY0 + 60, "6.00")
    first = only("budget", alerts.check_alerts(cfg, conn, NOW))
    assert keys(first) == ["budget:inference_daily:0.5:2026-11-27"]
    assert first[0]["level"] == "warning"
    assert first[0]["message"] == ("inference daily spend $6.00 is at 60% of the $10.00 budget "
                                   "(threshold 50%, UTC 2026-11-27)")
    assert only("budget", alerts.check_alerts(cfg, conn, NOW + 60)) == []  # deduped

    add_output(conn, DAY0 + 120, "3.00")
    assert keys(only("budget", alerts.check_alerts(cfg, conn, NOW + 120))) == [
        "budget:inference_daily:0.8:2026-11-27"]
    add_output(conn, DAY0 + 180, "2.00")
    crit = only("budget", alerts.check_alerts(cfg, conn, NOW + 180))
    assert keys(crit) == ["budget:inference_daily:1:2026-11-27"]
    assert crit[0]["level"] == "critical" and "at 110% of the $10.00" in crit[0]["message"]
    assert only("budget", alerts.check_alerts(cfg, conn, NOW + 240)) == []

    # A new UTC day starts from zero: nothing until it crosses again.
    tomorrow = NOW + 86400
    assert only("budget", alerts.check_alerts(cfg, conn, tomorrow)) == []
    add_output(conn, DAY0 + 86400 + 60, "5.00")
    assert keys(only("budget", alerts.check_alerts(cfg, conn, tomorrow))) == [
        "budget:inference_daily:0.5:2026-11-28"]
    assert conn.execute("SELECT COUNT(*) FROM alerts WHERE kind = 'budget'").fetchone()[0] == 4


def test_a_jump_past_the_cap_is_one_critical_alert(make_config, conn):
    cfg = budget_cfg(make_config, inference_monthly_usd=100.0)
    add_output(conn, DAY0 - 86400, "120.00")
    new = only("budget", alerts.check_alerts(cfg, conn, NOW))
    assert keys(new) == ["budget:inference_monthly:1:2026-11"]
    assert new[0]["level"] == "critical"


def test_unpriced_outputs_are_counted_apart_never_as_zero(make_config, conn):
    cfg = budget_cfg(make_config, inference_daily_usd=1.0)
    add_output(conn, DAY0 + 10, None, model="mystery-model")
    add_output(conn, DAY0 + 20, "0.25")
    state = inference_budget.inference_state(cfg, conn, NOW)
    assert state["spent_today_usd"] == 0.25
    assert state["unpriced_outputs_today"] == 1 and state["unpriced_outputs_month"] == 1


def test_forecast_alert_when_the_burn_rate_crosses_the_cap(make_config, conn):
    add_output(conn, DAY0 - 2 * 86400, "0")
    for h in range(6):  # $1 an hour since 06:00; now is 12:00
        add_output(conn, DAY0 + (6 + h + 0.5) * 3600, "1.00")
    state = inference_budget.inference_state(
        budget_cfg(make_config, inference_daily_usd=18.0), conn, NOW
    )
    assert state["spent_today_usd"] == 6.0
    assert state["forecast_day_usd"] == 18.0  # 6 + $1/h x 12 h left

    at_cap = alerts.check_alerts(budget_cfg(make_config, inference_daily_usd=18.0), conn, NOW)
    assert [(a["kind"], a["level"], a["dedupe_key"]) for a in at_cap] == [
        ("forecast", "warning", "forecast:inference_daily:1:2026-11-27")]
    assert (
        "forecast to reach $18.00 by the end of UTC 2026-11-27, over the $18.00 budget"
        in at_cap[0]["message"]
    )
    assert (
        alerts.check_alerts(budget_cfg(make_config, inference_daily_usd=18.0), conn, NOW + 1) == []
    )
    assert alerts.check_alerts(budget_cfg(make_config, inference_daily_usd=18.01), conn, NOW) == []


def test_forecast_lookback_has_a_floor_per_period(make_config, conn):
    add_output(conn, NOW - 60, "1.00")  # a fresh install: one call a minute ago
    state = inference_budget.inference_state(budget_cfg(make_config), conn, NOW)
    # $1 over 15 min = $4/h, for the 12 h left in the day
    assert state["forecast_day_usd"] == 1 + 4 * 12
    # the month looks back at least 6 h: $1/6 h for the 84 h to 1 December
    assert state["forecast_period_usd"] == 1 + 84 / 6


def test_judge_budget_thresholds(make_config, conn):
    from evaltop.core.scoring import budget

    cfg = budget_cfg(make_config, judge_daily_usd=2.0)
    r = budget.reserve(conn, "judge", usd_to_pusd("1.70"), ref="x", owner="t", cfg=cfg, now=NOW)
    budget.settle(conn, r, usd_to_pusd("1.70"), now=NOW)
    new = alerts.check_alerts(cfg, conn, NOW)
    assert keys(new) == ["budget:judge_daily:0.8:2026-11-27"]
    assert new[0]["message"].startswith("judge daily spend $1.70 is at 85% of the $2.00 budget")


def test_webhook_posts_each_alert_once(make_config, conn):
    with WebhookReceiver() as hook:
        cfg = budget_cfg(make_config, inference_daily_usd=1.0, webhook_url=hook.url)
        add_output(conn, DAY0 - 3 * 86400, "0")
        add_output(conn, DAY0 + 60, "0.60")
        alerts.check_alerts(cfg, conn, NOW)
        assert alerts.deliver(cfg, conn) == {"sent": 1, "failed": 0, "error": None}
        assert alerts.deliver(cfg, conn) == {"sent": 0, "failed": 0, "error": None}
        assert hook.texts() == ["evaltop warning: inference daily spend $0.6000 is at 60% of the "
                                "$1.00 budget (threshold 50%, UTC 2026-11-27)"]
        row = conn.execute("SELECT notified, notify_attempts, notify_error FROM alerts").fetchone()
        assert tuple(row) == (1, 1, None)


def test_a_failing_webhook_is_retried_later_without_duplicate_alerts(make_config, conn):
    with WebhookReceiver(statuses=[500]) as hook:
        cfg = budget_cfg(make_config, inference_daily_usd=1.0, webhook_url=hook.url)
        add_output(conn, DAY0 - 3 * 86400, "0")
        add_output(conn, DAY0 + 60, "1.50")
        assert len(alerts.check_alerts(cfg, conn, NOW)) == 1
        first = alerts.deliver(cfg, conn)
        assert first["sent"] == 0 and first["failed"] == 1 and first["error"].startswith("HTTP 500")
        row = conn.execute("SELECT notified, notify_attempts, notify_error FROM alerts").fetchone()
        assert row[0] == 0 and row[1] == 1 and row[2].startswith("HTTP 500")

        assert alerts.check_alerts(cfg, conn, NOW + 60) == []  # the next check: no new alert...
        assert alerts.deliver(cfg, conn)["sent"] == 1  # ...and the retry goes through
        assert alerts.deliver(cfg, conn)["sent"] == 0
        assert len(hook.posts) == 2 and hook.texts()[0] == hook.texts()[1]
        assert conn.execute("SELECT COUNT(*) FROM alerts").fetchone()[0] == 1


def test_an_unreachable_webhook_is_recorded_not_raised(make_config, conn):
    with WebhookReceiver() as hook:
        url = hook.url
    cfg = budget_cfg(make_config, inference_daily_usd=1.0, webhook_url=url)  # server now closed
    add_output(conn, DAY0 + 60, "2.00")
    alerts.check_alerts(cfg, conn, NOW)
    result = alerts.deliver(cfg, conn)
    assert result["sent"] == 0 and result["failed"] == 1 and "ConnectError" in result["error"]


def test_list_and_acknowledge(make_config, conn):
    cfg = budget_cfg(make_config, inference_daily_usd=1.0, inference_monthly_usd=1.0)
    add_output(conn, DAY0 - 86400, "0.70")
    add_output(conn, DAY0 + 60, "0.60")
    new = only("budget", alerts.check_alerts(cfg, conn, NOW))
    assert sorted(keys(new)) == ["budget:inference_daily:0.5:2026-11-27",
                                 "budget:inference_monthly:1:2026-11"]
    monthly = next(a for a in new if "monthly" in a["dedupe_key"])
    assert alerts.acknowledge(conn, monthly["id"])
    listed = alerts.list_alerts(conn, unacknowledged_first=True, limit=10)
    assert [a["acknowledged"] for a in listed if a["kind"] == "budget"] == [0, 1]
    assert not alerts.acknowledge(conn, 99999)


def _report(cfg, conn, since=None):
    ctx = ReportContext(cfg=cfg, conn=conn, window=Window(since, NOW + 10), now=NOW + 10)
    return alerts_report.report_section(ctx)


def test_report_section_markdown_and_fail_on_budget(make_config, conn):
    cfg = budget_cfg(make_config, inference_daily_usd=1.0)
    add_output(conn, DAY0 - 3 * 86400, "0")
    add_output(conn, DAY0 + 60, "0.60")
    alerts.check_alerts(cfg, conn, NOW)
    report = _report(cfg, conn)
    assert report["budgets"]["inference"]["daily_usd"] == 1.0
    assert report["budgets"]["inference"]["spent_today_usd"] == 0.6
    assert [a["level"] for a in report["alerts"]] == ["warning"]
    assert set(report["alerts"][0]) >= {"kind", "level", "message", "ts", "acknowledged"}
    assert report["alerts"][0]["ts"] == "2026-11-27T12:00:00Z"
    assert alerts_report.failures(report, {"budget"}) == []  # a warning does not fail CI

    add_output(conn, DAY0 + 120, "0.50")
    report = _report(cfg, conn)  # over the cap, no alert raised yet: still a failure
    assert alerts_report.failures(report, {"budget"}) == [
        "budget: inference spend today $1.10 is at or over the daily budget $1.00"]
    alerts.check_alerts(cfg, conn, NOW + 5)
    report = _report(cfg, conn)
    reasons = alerts_report.failures(report, {"budget"})
    assert len(reasons) == 1 and "at 110% of the $1.00 budget" in reasons[0]
    assert alerts_report.failures(report, {"regression"}) == []
    md = "\n".join(alerts_report.markdown(report))
    assert "| critical | budget |" in md and "$1.10 of $1.00" in md
    assert _report(cfg, conn, since=NOW + 6)["alerts"] == []  # outside the window


def test_periods_are_utc_days_and_months():
    p = inference_budget.Periods.at(datetime(2026, 12, 31, 23, 59, tzinfo=UTC).timestamp())
    assert (p.day, p.month) == ("2026-12-31", "2026-12")
    assert p.day_end == p.month_end == datetime(2027, 1, 1, tzinfo=UTC).timestamp()
    p = inference_budget.Periods.at(datetime(2027, 2, 1, tzinfo=UTC).timestamp())
    assert (p.day, p.month, p.day_start) == ("2027-02-01", "2027-02", p.month_start)
    assert p.month_end - p.month_start == 28 * 86400


def test_judge_cap_refusal_raises_one_critical_pause_alert(make_config, conn):
    """Reservations keep judge spend below the cap, so 100% may never be
    crossed; a refused call must still say loudly that judging stopped."""
    from evaltop.core.scoring import budget

    cfg = budget_cfg(make_config, judge_daily_usd=2.0)
    r = budget.reserve(conn, "judge", usd_to_pusd("1.70"), ref="a", owner="t", cfg=cfg, now=NOW)
    budget.settle(conn, r, usd_to_pusd("1.70"), now=NOW)
    assert "budget:judge_paused:2026-11-27" not in keys(alerts.check_alerts(cfg, conn, NOW))
    refused = budget.reserve(
        conn, "judge", usd_to_pusd("0.50"), ref="b", owner="t", cfg=cfg, now=NOW
    )
    assert refused is None
    new = alerts.check_alerts(cfg, conn, NOW + 60)
    assert keys(new) == ["budget:judge_paused:2026-11-27"]
    assert new[0]["level"] == "critical"
    assert new[0]["message"].startswith("judging paused: judge daily budget $2.00 reached")
    assert alerts.check_alerts(cfg, conn, NOW + 120) == []
