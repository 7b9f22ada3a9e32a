"""Inference spend observed against ``[budgets] inference_*``.

evaltop does not make the application's calls, so this budget is watched,
never enforced: spend so far in the UTC day and UTC month (priced outputs;
unpriced outputs counted apart, never as $0) and a burn-rate forecast.

Forecast: ``spent + rate * time_left``, where ``rate`` is the spend over a
trailing lookback (6 h for the day, 7 days for the month) divided by its
length. The lookback is shortened to the age of the oldest stored output (a
fresh install is not diluted by empty history), but never below 15 minutes
for the day or 6 hours for the month (so a few early calls do not
extrapolate to a fortune).
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from evaltop.core.model.config import Config
from evaltop.core.model.money import pusd_to_usd, usd_to_pusd
from evaltop.store.inference_queries import spend_in
from evaltop.store.rollups.hourly import Totals

DAY_LOOKBACK_S = 6 * 3600.0
MONTH_LOOKBACK_S = 7 * 86400.0
DAY_MIN_LOOKBACK_S = 15 * 60.0
MONTH_MIN_LOOKBACK_S = 6 * 3600.0


@dataclass(frozen=True)
class Periods:
    """UTC day and month around ``now``: bounds (epoch s) and labels."""

    day: str
    day_start: float
    day_end: float
    month: str
    month_start: float
    month_end: float

    @classmethod
    def at(cls, now: float) -> Periods:
        dt = datetime.fromtimestamp(now, tz=UTC)
        day_start = datetime(dt.year, dt.month, dt.day, tzinfo=UTC).timestamp()
        month_start = datetime(dt.year, dt.month, 1, tzinfo=UTC)
        nxt = datetime(dt.year + (dt.month == 12), dt.month % 12 + 1, 1, tzinfo=UTC)
        return cls(
            day=dt.strftime("%Y-%m-%d"),
            day_start=day_start,
            day_end=day_start + 86400.0,
            month=dt.strftime("%Y-%m"),
            month_start=month_start.timestamp(),
            month_end=nxt.timestamp(),
        )


@dataclass(frozen=True)
class InferenceBudget:
    """Exact amounts in picodollars; caps None when not configured."""

    periods: Periods
    daily_cap_pusd: int | None
    monthly_cap_pusd: int | None
    spent_today_pusd: int
    spent_month_pusd: int
    unpriced_today: int
    unpriced_month: int
    forecast_day_pusd: int
    forecast_month_pusd: int

    def as_dict(self) -> dict:
        """The report/TUI shape (USD floats, caps None when unset)."""
        return {
            "daily_usd": pusd_to_usd(self.daily_cap_pusd),
            "spent_today_usd": pusd_to_usd(self.spent_today_pusd),
            "monthly_usd": pusd_to_usd(self.monthly_cap_pusd),
            "spent_month_usd": pusd_to_usd(self.spent_month_pusd),
            "unpriced_outputs_today": self.unpriced_today,
            "unpriced_outputs_month": self.unpriced_month,
            "forecast_day_usd": pusd_to_usd(self.forecast_day_pusd),
            "forecast_period_usd": pusd_to_usd(self.forecast_month_pusd),
            "day": self.periods.day,
            "period": self.periods.month,
            "over_daily": _at_or_over(self.spent_today_pusd, self.daily_cap_pusd),
            "over_monthly": _at_or_over(self.spent_month_pusd, self.monthly_cap_pusd),
        }


def _at_or_over(spent: int, cap: int | None) -> bool:
    """At or past a cap (nothing spent is never over, even a $0 cap)."""
    return cap is not None and spent > 0 and spent >= cap


def _spend(conn: sqlite3.Connection, since: float, until: float) -> Totals:
    """Priced cost and unpriced outputs for ``since <= ts < until`` (whole days
    from the daily rollup, edges from hours and outputs; exact)."""
    if until <= since:
        return Totals()
    cost, unpriced = spend_in(conn, since, until)
    return Totals(cost_pusd=cost, unpriced_outputs=unpriced)


def _first_output_ts(conn: sqlite3.Connection) -> float | None:
    return conn.execute("SELECT MIN(ts) FROM outputs").fetchone()[0]


def _forecast(conn: sqlite3.Connection, spent: int, now: float, end: float,
              lookback: tuple[float, float], first_ts: float | None) -> int:
    """spent + (spend over the lookback / its length) x time left."""
    if first_ts is None:
        return spent
    longest, shortest = lookback
    span = max(shortest, min(longest, now - first_ts))
    recent = _spend(conn, now - span, now).cost_pusd
    left = Decimal(max(0.0, end - now))
    return spent + int(Decimal(recent) * left / Decimal(span))


def _cap(usd: float | None) -> int | None:
    return None if usd is None else usd_to_pusd(usd)


def inference_budget(
    cfg: Config, conn: sqlite3.Connection, now: float | None = None
) -> InferenceBudget:
    """Spend today and this month, unpriced counts and end-of-period forecasts."""
    now = time.time() if now is None else now
    p = Periods.at(now)
    today = _spend(conn, p.day_start, now)
    month = _spend(conn, p.month_start, now)
    first_ts = _first_output_ts(conn)
    return InferenceBudget(
        periods=p,
        daily_cap_pusd=_cap(cfg.budgets.inference_daily_usd),
        monthly_cap_pusd=_cap(cfg.budgets.inference_monthly_usd),
        spent_today_pusd=today.cost_pusd,
        spent_month_pusd=month.cost_pusd,
        unpriced_today=today.unpriced_outputs,
        unpriced_month=month.unpriced_outputs,
        forecast_day_pusd=_forecast(conn, today.cost_pusd, now, p.day_end,
                                    (DAY_LOOKBACK_S, DAY_MIN_LOOKBACK_S), first_ts),
        forecast_month_pusd=_forecast(conn, month.cost_pusd, now, p.month_end,
                                      (MONTH_LOOKBACK_S, MONTH_MIN_LOOKBACK_S), first_ts),
    )


def inference_state(cfg: Config, conn: sqlite3.Connection, now: float | None = None) -> dict:
    """:func:`inference_budget` as the report/TUI dict."""
    return inference_budget(cfg, conn, now).as_dict()
