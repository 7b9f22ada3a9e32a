"""Budget alerts: thresholds crossed, burn-rate forecasts, webhook delivery,
and the alerts/budgets part of ``evaltop report``.

An alert is a row in ``alerts`` with ``dedupe_key =
kind:budget:threshold:period`` (e.g. ``budget:inference_daily:0.8:2026-11-27``),
so each threshold fires once per UTC day/month by constraint. Level is
``critical`` at or past the cap (threshold >= 1.0), ``warning`` below it and
for forecasts. Only the highest threshold crossed is raised in one check
(a jump from 0 to 120% is one critical alert, not three).

Delivery: each alert is POSTed once to ``[budgets] webhook_url`` as
Slack-compatible JSON ``{"text": ...}``; a failure is recorded on the row and
retried at the next check, never raised.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from dataclasses import dataclass
from decimal import Decimal

import httpx

from evaltop.core.model.config import Config
from evaltop.core.model.money import format_usd, usd_to_pusd
from evaltop.core.ops.inference_budget import (
    InferenceBudget,
    Periods,
    inference_budget,
)
from evaltop.core.scoring.budget import judge_budget_state
from evaltop.store import alerts as store_alerts

log = logging.getLogger(__name__)

WEBHOOK_TIMEOUT = httpx.Timeout(5.0, connect=3.0)
DELIVERY_BATCH = 20

list_alerts = store_alerts.list_alerts
acknowledge = store_alerts.acknowledge


@dataclass(frozen=True)
class BudgetReading:
    """One capped budget in its current period."""

    key: str  # inference_daily | inference_monthly | judge_daily | judge_monthly
    label: str  # human words: "inference daily"
    period: str  # 2026-11-27 or 2026-11
    cap_pusd: int
    spent_pusd: int
    forecast_pusd: int | None = None  # None: no forecast for this budget


def _judge_state(cfg: Config, conn: sqlite3.Connection, now: float) -> dict | None:
    """The judge budget's state."""
    return judge_budget_state(conn, cfg, now)


def _judge_readings(
    cfg: Config, conn: sqlite3.Connection, now: float, p: Periods
) -> list[BudgetReading]:
    state = _judge_state(cfg, conn, now)
    if state is None:
        return []
    out = []
    for key, cap_key, spent_key, period in (
        ("judge_daily", "daily_usd", "spent_today_usd", p.day),
        ("judge_monthly", "monthly_usd", "spent_month_usd", p.month),
    ):
        cap = state.get(cap_key)
        if cap is not None:
            out.append(BudgetReading(key, key.replace("_", " "), period, usd_to_pusd(cap),
                                     usd_to_pusd(state.get(spent_key) or 0)))
    return out


def _inference_readings(ib: InferenceBudget) -> list[BudgetReading]:
    out = []
    if ib.daily_cap_pusd is not None:
        out.append(BudgetReading("inference_daily", "inference daily", ib.periods.day,
                                 ib.daily_cap_pusd, ib.spent_today_pusd, ib.forecast_day_pusd))
    if ib.monthly_cap_pusd is not None:
        out.append(BudgetReading("inference_monthly", "inference monthly", ib.periods.month,
                                 ib.monthly_cap_pusd, ib.spent_month_pusd, ib.forecast_month_pusd))
    return out


def readings(cfg: Config, conn: sqlite3.Connection, now: float) -> list[BudgetReading]:
    """Every configured cap with its spend (and forecast for inference)."""
    p = Periods.at(now)
    return _inference_readings(inference_budget(cfg, conn, now)) + _judge_readings(
        cfg, conn, now, p
    )


def _crossed(spent: int, cap: int, threshold: float) -> bool:
    """spent >= threshold x cap, exactly; nothing spent never crosses (a $0 cap
    alerts on the first cent)."""
    return spent > 0 and Decimal(spent) >= Decimal(repr(threshold)) * cap


def _pct(spent: int, cap: int) -> str:
    return "over the" if cap == 0 else f"at {Decimal(spent) * 100 / cap:.0f}% of the"


def _evaluate(r: BudgetReading, alert_at: list[float]) -> list[tuple[str, str, str, str]]:
    """(kind, level, message, dedupe_key) for what this reading should raise."""
    found = []
    hit = [t for t in alert_at if _crossed(r.spent_pusd, r.cap_pusd, t)]
    if hit:
        t = max(hit)
        level = "critical" if t >= 1.0 else "warning"
        msg = (f"{r.label} spend {format_usd(r.spent_pusd)} is {_pct(r.spent_pusd, r.cap_pusd)} "
               f"{format_usd(r.cap_pusd)} budget (threshold {t:.0%}, UTC {r.period})")
        found.append(("budget", level, msg, f"budget:{r.key}:{t:g}:{r.period}"))
    if (r.forecast_pusd is not None and r.spent_pusd < r.cap_pusd
            and r.forecast_pusd > 0 and r.forecast_pusd >= r.cap_pusd):
        msg = (f"{r.label} spend is forecast to reach {format_usd(r.forecast_pusd)} by the end of "
               f"UTC {r.period}, over the {format_usd(r.cap_pusd)} budget "
               f"(spent so far {format_usd(r.spent_pusd)})")
        found.append(("forecast", "warning", msg, f"forecast:{r.key}:1:{r.period}"))
    return found


def _judge_pause(
    cfg: Config, conn: sqlite3.Connection, now: float
) -> list[tuple[str, str, str, str]]:
    """A critical alert when the judge cap refuses calls. Reservations stop
    spend just short of the cap, so the 100% threshold alone may never fire
    although judging has stopped; this says so, once per UTC day."""
    state = _judge_state(cfg, conn, now)
    if not state or not state.get("paused"):
        return []
    why = state.get("reason") or "judge budget used up"
    msg = f"judging paused: {why}; sampled outputs stay pending until the next budget period"
    return [("budget", "critical", msg, f"budget:judge_paused:{Periods.at(now).day}")]


def check_alerts(cfg: Config, conn: sqlite3.Connection, now: float | None = None) -> list[dict]:
    """Raise the alerts the current spend calls for; return the new ones."""
    now = time.time() if now is None else now
    new = []
    raised = [
        a for reading in readings(cfg, conn, now) for a in _evaluate(reading, cfg.budgets.alert_at)
    ]
    for kind, level, message, key in raised + _judge_pause(cfg, conn, now):
        alert_id = store_alerts.insert(conn, kind, level, message, key, now)
        if alert_id is not None:
            log.warning("alert (%s): %s", level, message)
            new.append(store_alerts.get(conn, alert_id))
    return new


def deliver(cfg: Config, conn: sqlite3.Connection, *, client: httpx.Client | None = None) -> dict:
    """POST undelivered alerts to the webhook; {"sent": n, "failed": n, "error": str|None}.

    Without a ``webhook_url`` nothing is sent and alerts stay undelivered. A
    transport error stops this round (the receiver is down); an HTTP error
    status is recorded on that alert and the others are still tried.
    """
    url = cfg.budgets.webhook_url
    result = {"sent": 0, "failed": 0, "error": None}
    if not url:
        return result
    pending = store_alerts.undelivered(conn, DELIVERY_BATCH)
    if not pending:
        return result
    own = client is None
    client = client or httpx.Client(timeout=WEBHOOK_TIMEOUT)
    try:
        for alert in pending:
            text = f"evaltop {alert['level']}: {alert['message']}"
            try:
                resp = client.post(url, json={"text": text})
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"[:500]
                store_alerts.mark_notify_failed(conn, alert["id"], error)
                result["failed"] += 1
                result["error"] = error
                break
            if resp.is_success:
                store_alerts.mark_notified(conn, alert["id"])
                result["sent"] += 1
            else:
                error = f"HTTP {resp.status_code}: {resp.text[:200]}"
                store_alerts.mark_notify_failed(conn, alert["id"], error)
                result["failed"] += 1
                result["error"] = error
    finally:
        if own:
            client.close()
    if result["error"]:
        log.warning("webhook delivery failed (%d alert(s) will be retried): %s",
                    result["failed"], result["error"])
    return result
