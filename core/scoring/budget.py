"""Hard judge budgets: reserve the worst case before a paid call, settle after.

A reservation is one ``BEGIN IMMEDIATE`` transaction that adds up everything
settled and reserved in the UTC day and month, and inserts the new row only
if ``total + amount <= cap`` for both. SQLite serialises those transactions
across threads and processes, so concurrent callers can never push
settled + reserved past a cap. See docs/judges.md "Budgets".
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from evaltop.core.model.config import Config
from evaltop.core.model.money import format_usd, pusd_to_usd, usd_to_pusd
from evaltop.store import db, judge_calls, ledger

# A reservation older than this is certainly not held by a live call: judge
# deadlines are capped well below it (config deadline_s default 120 s).
STALE_AFTER_S = 900.0
LOST_REASON = "process ended before the reply was recorded; settled at the reserved estimate"


@dataclass(frozen=True)
class Reservation:
    rowid: int
    kind: str
    ref: str
    owner: str
    amount_pusd: int
    day: str
    month: str


@dataclass(frozen=True)
class ReserveResult:
    """``reservation`` or why not: ``refused`` is "budget" or the guard's word."""

    reservation: Reservation | None
    refused: str | None = None
    reason: str = ""


@dataclass
class ReconcileSummary:
    settled: int = 0
    released: int = 0
    settled_pusd: int = 0


def periods(now: float) -> tuple[str, str]:
    """UTC ('YYYY-MM-DD', 'YYYY-MM') for an epoch time."""
    d = datetime.fromtimestamp(now, tz=UTC)
    return d.strftime("%Y-%m-%d"), d.strftime("%Y-%m")


def caps_pusd(cfg: Config, kind: str = "judge") -> tuple[int | None, int | None]:
    """(daily, monthly) caps in picodollars; None = no cap."""
    b = cfg.budgets
    daily, monthly = ((b.judge_daily_usd, b.judge_monthly_usd) if kind == "judge"
                      else (b.inference_daily_usd, b.inference_monthly_usd))
    return (None if daily is None else usd_to_pusd(daily),
            None if monthly is None else usd_to_pusd(monthly))


def _over(
    totals: dict[str, int], daily: int | None, monthly: int | None, amount: int
) -> str | None:
    day_used = totals["day_settled"] + totals["day_reserved"]
    month_used = totals["month_settled"] + totals["month_reserved"]
    if daily is not None and day_used + amount > daily:
        return (f"daily budget {format_usd(daily)} would be exceeded: {format_usd(day_used)} "
                f"spent or reserved today, this call needs up to {format_usd(amount)}")
    if monthly is not None and month_used + amount > monthly:
        return (f"monthly budget {format_usd(monthly)} would be exceeded: {format_usd(month_used)} "
                f"spent or reserved this month, this call needs up to {format_usd(amount)}")
    return None


def try_reserve(conn: sqlite3.Connection, *, kind: str = "judge", amount_pusd: int, ref: str = "",
                owner: str = "", cfg: Config, now: float | None = None, sent: bool = False,
                meta: dict[str, Any] | None = None,
                guard: Callable[[sqlite3.Connection], str | None] | None = None) -> ReserveResult:
    """Reserve ``amount_pusd`` against the caps, atomically.

    ``guard(conn)`` runs inside the same transaction before the budget check
    and may return a word ("claimed", "scored"...) to refuse: that is how a
    caller claims work so two processes never pay for it twice. ``sent=True``
    says the request goes out right after this commits (see reconcile).
    """
    if amount_pusd < 0:
        raise ValueError("a reservation amount cannot be negative")
    now = time.time() if now is None else now
    day, month = periods(now)
    daily, monthly = caps_pusd(cfg, kind)
    with db.write(conn):
        if guard is not None:
            word = guard(conn)
            if word:
                return ReserveResult(None, word, word)
        if daily is not None or monthly is not None:
            why = _over(ledger.period_totals(conn, kind, day, month), daily, monthly, amount_pusd)
            if why:
                ledger.note_refusal(
                    conn, kind=kind, amount_pusd=amount_pusd, day=day, month=month, now=now
                )
                return ReserveResult(None, "budget", f"{kind} {why}")
        rowid = ledger.insert_reservation(
            conn, kind=kind, ref=ref, owner=owner, amount_pusd=amount_pusd, day=day, month=month,
            now=now, sent=sent, meta_json=json.dumps(meta) if meta else None)
    return ReserveResult(Reservation(rowid, kind, ref, owner, amount_pusd, day, month))


def reserve(conn: sqlite3.Connection, kind: str = "judge", amount_pusd: int = 0, ref: str = "",
            owner: str = "", cfg: Config | None = None, now: float | None = None,
            **kw: Any) -> Reservation | None:
    """:func:`try_reserve` returning the reservation, or None when refused."""
    if cfg is None:
        raise ValueError("reserve() needs cfg (the budget caps)")
    return try_reserve(conn, kind=kind, amount_pusd=amount_pusd, ref=ref, owner=owner,
                       cfg=cfg, now=now, **kw).reservation


def extend(conn: sqlite3.Connection, reservation: Reservation, extra_pusd: int, cfg: Config,
           now: float | None = None) -> Reservation | None:
    """Grow a held reservation (e.g. a second billed attempt) under the same caps."""
    daily, monthly = caps_pusd(cfg, reservation.kind)
    with db.write(conn):
        if daily is not None or monthly is not None:
            totals = ledger.period_totals(
                conn, reservation.kind, reservation.day, reservation.month
            )
            if _over(totals, daily, monthly, extra_pusd):
                return None
        ledger.add_amount(conn, reservation.rowid, extra_pusd)
    return Reservation(reservation.rowid, reservation.kind, reservation.ref, reservation.owner,
                       reservation.amount_pusd + extra_pusd, reservation.day, reservation.month)


def mark_sent(conn: sqlite3.Connection, reservation: Reservation, now: float | None = None) -> None:
    with db.write(conn):
        ledger.mark_sent(conn, reservation.rowid, time.time() if now is None else now)


def settle(conn: sqlite3.Connection, reservation: Reservation, actual_pusd: int,
           now: float | None = None, *, in_txn: bool = False) -> bool:
    """Replace the reserved worst case with the real cost. ``in_txn``: the
    caller already holds a write transaction (to record the call with it)."""
    now = time.time() if now is None else now
    if in_txn:
        return ledger.finish(
            conn, reservation.rowid, state="settled", amount_pusd=actual_pusd, now=now
        )
    with db.write(conn):
        return ledger.finish(
            conn, reservation.rowid, state="settled", amount_pusd=actual_pusd, now=now
        )


def release(conn: sqlite3.Connection, reservation: Reservation, now: float | None = None,
            *, in_txn: bool = False) -> bool:
    """Nothing was spent: free the reservation."""
    now = time.time() if now is None else now
    if in_txn:
        return ledger.finish(conn, reservation.rowid, state="released", amount_pusd=0, now=now)
    with db.write(conn):
        return ledger.finish(conn, reservation.rowid, state="released", amount_pusd=0, now=now)


def reconcile(conn: sqlite3.Connection, owner: str | None = None, older_than: float = STALE_AFTER_S,
              now: float | None = None, kind: str | None = None) -> ReconcileSummary:
    """Finish reservations left behind by a process that ended mid-call.

    A reservation whose request may have gone out (``sent_at`` set) is settled
    at its reserved estimate (the provider may have billed it; we cannot know
    the real cost) and, for judge calls, recorded in ``judge_calls`` with
    ``status='lost'``, ``cost_known=0`` and the estimate as unconfirmed
    spend. One that was never sent is
    released. Only rows older than ``older_than`` seconds are touched, so a
    live process's in-flight calls are left alone; pass ``owner`` and
    ``older_than=0`` to finish everything one owner holds (clean shutdown).
    """
    now = time.time() if now is None else now
    out = ReconcileSummary()
    with db.write(conn):
        for row in ledger.stale_reservations(
            conn, kind=kind, owner=owner, created_before=now - older_than
        ):
            if row.sent_at is None:
                ledger.finish(conn, row.rowid, state="released", amount_pusd=0, now=now)
                out.released += 1
                continue
            ledger.finish(conn, row.rowid, state="settled", amount_pusd=row.amount_pusd, now=now)
            out.settled += 1
            out.settled_pusd += row.amount_pusd
            meta = _meta(row.meta_json)
            if row.kind == "judge" and meta.get("judge"):
                judge_calls.insert(conn, judge_calls.JudgeCallRow(
                    judge=str(meta["judge"]), model=str(meta.get("model", "")),
                    output_id=str(meta.get("output_id", "")), status="lost", attempts=1,
                    latency_ms=None, input_tokens=0, output_tokens=0, usage_estimated=1,
                    cost_pusd=0, cost_known=0, reserved_pusd=row.amount_pusd,
                    error=LOST_REASON, run_id=meta.get("run_id"), ts=now,
                    unconfirmed_pusd=row.amount_pusd, unconfirmed_attempts=1))
    return out


def _meta(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _next_period_start(now: float, monthly: bool) -> str:
    d = datetime.fromtimestamp(now, tz=UTC)
    if monthly:
        nxt = (d.replace(day=28) + timedelta(days=4)).replace(day=1)
    else:
        nxt = d + timedelta(days=1)
    return nxt.strftime("%Y-%m-%dT00:00Z")


def judge_budget_state(
    conn: sqlite3.Connection, cfg: Config, now: float | None = None
) -> dict[str, Any]:
    """Judge spend against its caps for the UTC day and month.

    ``paused`` is True when a cap is used up, or when the last call the budget
    refused in this period still would not fit; ``reason`` says which and when
    it resumes. Money is USD floats (display edge); spent = settled only.
    """
    now = time.time() if now is None else now
    day, month = periods(now)
    daily, monthly = caps_pusd(cfg, "judge")
    t = ledger.period_totals(conn, "judge", day, month)
    refusal = ledger.last_refusal(conn, "judge", month)
    reason = ""
    paused = False
    for cap, used, spent, label, is_month in (
        (daily, t["day_settled"] + t["day_reserved"], t["day_settled"], "daily", False),
        (monthly, t["month_settled"] + t["month_reserved"], t["month_settled"], "monthly", True),
    ):
        if cap is None or paused:
            continue
        need = 0
        if refusal is not None and (is_month or refusal[0] == day):
            need = refusal[1]
        if used >= cap or (need and used + need > cap):
            paused = True
            reason = (f"judge {label} budget {format_usd(cap)} reached ({format_usd(spent)} spent, "
                      f"{format_usd(used - spent)} reserved); sampling resumes at "
                      f"{_next_period_start(now, is_month)}")
    return {
        "daily_usd": pusd_to_usd(daily),
        "spent_today_usd": pusd_to_usd(t["day_settled"]),
        "monthly_usd": pusd_to_usd(monthly),
        "spent_month_usd": pusd_to_usd(t["month_settled"]),
        "reserved_usd": pusd_to_usd(t["month_reserved"]),
        "paused": paused,
        "reason": reason,
    }
