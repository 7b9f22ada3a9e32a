"""The alerts and inference-budget part of `evaltop report`."""

from __future__ import annotations

from evaltop.core.model.money import format_usd, usd_to_pusd
from evaltop.core.ops.inference_budget import inference_state
from evaltop.core.views.report.context import ReportContext, iso
from evaltop.store import alerts as store_alerts


def report_section(ctx: ReportContext) -> dict:
    rows = store_alerts.list_alerts(ctx.conn, unacknowledged_first=False, limit=500,
                                    since=ctx.window.since, until=ctx.window.until)
    return {
        "alerts": [
            {"kind": a["kind"], "level": a["level"], "message": a["message"], "ts": iso(a["ts"]),
             "acknowledged": bool(a["acknowledged"]), "key": a["dedupe_key"]}
            for a in rows
        ],
        "budgets": {"inference": inference_state(ctx.cfg, ctx.conn, ctx.now)},
    }


def _budget_line(label: str, spent: float, cap: float | None, forecast: float, period: str,
                 unpriced: int) -> str:
    def usd(x: float) -> str:
        return format_usd(usd_to_pusd(x))

    of = f"of {usd(cap)}" if cap is not None else "spent (no cap)"
    return (f"- {label}: {usd(spent)} {of}, forecast {usd(forecast)} by end of {period}; "
            f"unpriced outputs: {unpriced}")


def markdown(report: dict) -> list[str]:
    inf = report.get("budgets", {}).get("inference")
    alerts = report.get("alerts")
    if inf is None and alerts is None:
        return []
    lines = ["## Inference budget and alerts", ""]
    if inf is not None:
        lines.append(
            _budget_line(
                f"Today ({inf['day']} UTC)",
                inf["spent_today_usd"],
                inf["daily_usd"],
                inf["forecast_day_usd"],
                "day",
                inf["unpriced_outputs_today"],
            )
        )
        lines.append(
            _budget_line(
                f"Month ({inf['period']})",
                inf["spent_month_usd"],
                inf["monthly_usd"],
                inf["forecast_period_usd"],
                "month",
                inf["unpriced_outputs_month"],
            )
        )
    if alerts:
        lines += ["", "| level | kind | when | message |", "|---|---|---|---|"]
        lines += [f"| {a['level']} | {a['kind']} | {a['ts']} | {a['message']} |" for a in alerts]
    elif alerts is not None:
        lines += ["", "No alerts in the window."]
    return lines


def failures(report: dict, conditions: set[str]) -> list[str]:
    """`--fail-on budget`: a critical budget alert in the window, or inference
    spend over a cap right now."""
    if "budget" not in conditions:
        return []
    out = []
    critical_keys = set()
    for a in report.get("alerts", []):
        if a["kind"] == "budget" and a["level"] == "critical":
            parts = (a.get("key") or "").split(":")
            critical_keys.add(parts[1] if len(parts) > 1 else "")
            out.append(f"budget: {a['message']}")
    inf = report.get("budgets", {}).get("inference", {})
    if inf.get("over_daily") and "inference_daily" not in critical_keys:
        out.append(
            f"budget: inference spend today ${inf['spent_today_usd']:.2f} is at or over the daily "
            f"budget ${inf['daily_usd']:.2f}"
        )
    if inf.get("over_monthly") and "inference_monthly" not in critical_keys:
        out.append(
            f"budget: inference spend this month ${inf['spent_month_usd']:.2f} is at or over "
            f"the monthly budget ${inf['monthly_usd']:.2f}"
        )
    return out
