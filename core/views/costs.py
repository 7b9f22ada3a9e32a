"""A cost a user can check: how one output's cost (and its judge calls') was
made, and spend split by billing bucket.

Both build on the pricing engine's :func:`~evaltop.core.ingest.pricing.explain`
(one engine for inference and judge calls): each bucket's tokens, rate and
exact amount, the rules applied and the price source. `evaltop cost`, `evaltop
spend --by bucket` and the case detail screen read these; nothing here writes.

Judge calls whose outcome is unknown (sent, then cut off: the provider may
have billed them) are shown apart as *unconfirmed*: one reserved estimate per
such attempt, counted by the budget, never added to confirmed spend.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from evaltop.core.ingest.pricing import PriceBook
from evaltop.core.ingest.pricing.explain import Breakdown, explain
from evaltop.core.ingest.pricing.rates import BUCKET_LABELS, BUCKETS
from evaltop.core.model.config import Config
from evaltop.core.model.money import PUSD_PER_USD, format_usd, pusd_to_usd
from evaltop.core.text.sanitize import one_line
from evaltop.store import cases as store_cases
from evaltop.store import judge_calls as store_judge_calls
from evaltop.store import outputs as store_outputs


@dataclass(frozen=True)
class JudgeCallCost:
    judge: str
    model: str
    status: str
    attempts: int
    run_id: str | None
    confirmed_pusd: int
    unconfirmed_pusd: int
    unconfirmed_attempts: int
    breakdown: Breakdown

    def to_dict(self) -> dict[str, Any]:
        return {
            "judge": self.judge, "model": self.model, "status": self.status,
            "attempts": self.attempts, "run_id": self.run_id,
            "cost_usd": pusd_to_usd(self.confirmed_pusd),
            "unconfirmed_usd": pusd_to_usd(self.unconfirmed_pusd),
            "unconfirmed_attempts": self.unconfirmed_attempts,
            "breakdown": breakdown_dict(self.breakdown),
        }


@dataclass(frozen=True)
class OutputCost:
    output_id: str
    breakdown: Breakdown
    judge_calls: tuple[JudgeCallCost, ...]

    @property
    def judge_pusd(self) -> int:
        return sum(c.confirmed_pusd for c in self.judge_calls)

    @property
    def judge_unconfirmed_pusd(self) -> int:
        return sum(c.unconfirmed_pusd for c in self.judge_calls)

    def to_dict(self) -> dict[str, Any]:
        return {
            "output_id": self.output_id, "inference": breakdown_dict(self.breakdown),
            "judge_calls": [c.to_dict() for c in self.judge_calls],
            "judge_usd": pusd_to_usd(self.judge_pusd),
            "judge_unconfirmed_usd": pusd_to_usd(self.judge_unconfirmed_pusd),
            "judge_unconfirmed_attempts": sum(c.unconfirmed_attempts for c in self.judge_calls),
        }


def breakdown_dict(bd: Breakdown) -> dict[str, Any]:
    """``Breakdown.to_dict`` with rates in plain decimals ("10", never "1E+1")."""
    d = bd.to_dict()
    for ln, line in zip(d["lines"], bd.lines, strict=True):
        if line.usd_per_mtok is not None:
            ln["usd_per_mtok"] = format(line.usd_per_mtok, "f")
    return d


def output_cost(conn: sqlite3.Connection, book: PriceBook, output_id: str) -> OutputCost | None:
    """The output's cost and its judge calls', bucket by bucket; None if unknown."""
    row = store_cases.output_by_id(conn, output_id)
    if row is None:
        return None
    calls = tuple(
        JudgeCallCost(
            judge=r["judge"], model=r["model"], status=r["status"], attempts=r["attempts"],
            run_id=r["run_id"], confirmed_pusd=r["cost_pusd"] or 0,
            unconfirmed_pusd=r["unconfirmed_pusd"] or 0,
            unconfirmed_attempts=r["unconfirmed_attempts"] or 0,
            breakdown=explain(r, book),
        )
        for r in store_judge_calls.for_output(conn, output_id)
        if r["status"] != "refused_budget"  # never sent: nothing to explain
    )
    return OutputCost(output_id, explain(row, book), calls)


def book_for(cfg: Config) -> PriceBook:
    return PriceBook.from_config(cfg)


# -- plain text (the CLI prints it; the case detail shows it as literal text) --

def usd_exact(amount_pusd: Decimal | int | None) -> str:
    """Exact dollars (no rounding), e.g. ``$0.0000025``; ``unpriced`` for None."""
    if amount_pusd is None:
        return "unpriced"
    usd = (Decimal(amount_pusd) / PUSD_PER_USD).normalize()
    text = format(usd, "f")
    if "." in text:
        whole, frac = text.split(".")
        text = f"{whole}.{frac.ljust(2, '0')}"
    else:
        text += ".00"
    return f"${text}"


def _rate(b) -> str:
    return "-" if b.usd_per_mtok is None else format(b.usd_per_mtok, "f")


def breakdown_lines(bd: Breakdown, indent: str = "") -> list[str]:
    """One breakdown as aligned lines: source, rules, each bucket, total."""
    entry = f"price entry {one_line(bd.entry, 60)}, " if bd.entry else ""
    out = [f"{indent}{entry}source: {bd.source_text}"]
    mode = "batch" if bd.batch else (bd.service_tier or "standard")
    out.append(f"{indent}mode: {one_line(mode, 20)}"
               + (f"; rules: {'; '.join(bd.rules)}" if bd.rules else ""))
    if bd.fallbacks:
        out.append(f"{indent}price_fallback: {bd.price_fallback}")
    if bd.unpriced:
        out.append(f"{indent}unpriced: {bd.unpriced}")
    out.append(f"{indent}{'bucket':<22}{'tokens':>12}{'$/Mtok':>12}  amount")
    for ln in bd.lines:
        if not ln.tokens and ln.bucket not in ("input", "output"):
            continue
        note = f"  ({ln.fallback})" if ln.fallback else ""
        out.append(f"{indent}{ln.label:<22}{ln.tokens:>12,}{_rate(ln):>12}  "
                   f"{usd_exact(ln.amount_pusd)}{note}")
    total = f"{indent}{'total':<46}{format_usd(bd.total_pusd)}"
    if bd.stored_pusd is not None and bd.stored_pusd != bd.total_pusd:
        total += f"  (stored {format_usd(bd.stored_pusd)}: prices changed since; evaltop reprice)"
    out.append(total)
    return out


def text_lines(oc: OutputCost) -> list[str]:
    """What `evaltop cost OUTPUT_ID` prints (literal text: names are cleaned)."""
    bd = oc.breakdown
    out = [f"output {one_line(oc.output_id, 80)}  model {one_line(bd.model, 60)}", "",
           "Inference", *breakdown_lines(bd, "  ")]
    if not oc.judge_calls:
        out += ["", "Judge calls: none"]
        return out
    out += ["", f"Judge calls ({len(oc.judge_calls)}): confirmed {format_usd(oc.judge_pusd)}"
            + (f", unconfirmed {format_usd(oc.judge_unconfirmed_pusd)}"
               if oc.judge_unconfirmed_pusd else "")]
    for c in oc.judge_calls:
        run = f" run {one_line(c.run_id, 30)}" if c.run_id else ""
        out.append(f"  {one_line(c.judge, 40)} ({one_line(c.model, 40)}){run}: {c.status}, "
                   f"{c.attempts} attempt{'s' if c.attempts != 1 else ''}")
        if c.unconfirmed_attempts:
            out.append(f"    unconfirmed {format_usd(c.unconfirmed_pusd)}: "
                       f"{c.unconfirmed_attempts} attempt(s) cut off after sending (may or may "
                       "not be billed; one reserved estimate each, counted by the budget)")
        out += breakdown_lines(c.breakdown, "    ")
    return out


# -- spend by bucket ---------------------------------------------------------

@dataclass
class BucketTotals:
    tokens: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BUCKETS, 0))
    amount: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(BUCKETS, Decimal(0)))
    cache_saved: Decimal = Decimal(0)  # cache reads x (input rate - read rate)
    write_premium: Decimal = Decimal(0)  # cache writes x (write rate - input rate)
    priced: int = 0
    unpriced: int = 0  # no price: not in any bucket's amount
    not_itemised: int = 0  # cost reported by the log or unbilled: no bucket split
    not_itemised_pusd: int = 0
    stored_pusd: int = 0  # what the store holds for the rows above (priced or not now)
    repriced: int = 0  # rows whose stored cost differs from today's prices

    def add(self, bd: Breakdown) -> None:
        if bd.source in ("reported", "unbilled-error") and bd.total_pusd is not None:
            self.not_itemised += 1
            self.not_itemised_pusd += bd.total_pusd
            return
        self.stored_pusd += bd.stored_pusd or 0
        self.repriced += bd.stored_pusd != bd.total_pusd and (
            bd.stored_pusd is not None or bd.total_pusd is not None)
        if bd.total_pusd is None:
            self.unpriced += 1
            return
        self.priced += 1
        lines = {ln.bucket: ln for ln in bd.lines}
        in_rate = lines["input"].rate_pusd_per_token or Decimal(0)
        for b in BUCKETS:
            ln = lines[b]
            self.tokens[b] += ln.tokens
            self.amount[b] += ln.amount_pusd or Decimal(0)
        read = lines["cache_read"]
        if read.tokens and read.rate_pusd_per_token is not None:
            self.cache_saved += read.tokens * (in_rate - read.rate_pusd_per_token)
        for b in ("cache_write_5m", "cache_write_1h"):
            w = lines[b]
            if w.tokens and w.rate_pusd_per_token is not None:
                self.write_premium += w.tokens * (w.rate_pusd_per_token - in_rate)

    def to_dict(self) -> dict[str, Any]:
        return {
            "buckets": [{"bucket": b, "label": BUCKET_LABELS[b], "tokens": self.tokens[b],
                         "usd": _usd(self.amount[b])} for b in BUCKETS],
            "cache_writes_usd": _usd(self.amount["cache_write_5m"]
                                     + self.amount["cache_write_1h"]),
            "cache_read_saved_usd": _usd(self.cache_saved),
            "cache_write_premium_usd": _usd(self.write_premium),
            "cache_net_saved_usd": _usd(self.cache_saved - self.write_premium),
            "priced": self.priced, "unpriced": self.unpriced,
            "not_itemised": self.not_itemised,
            "not_itemised_usd": pusd_to_usd(self.not_itemised_pusd),
            "stored_usd": pusd_to_usd(self.stored_pusd), "repriced_outputs": self.repriced,
        }


def _usd(amount: Decimal) -> float:
    return float(amount / PUSD_PER_USD)


@dataclass
class BucketSpend:
    inference: BucketTotals
    judge: BucketTotals
    judge_unconfirmed_pusd: int
    judge_unconfirmed_attempts: int

    def to_dict(self) -> dict[str, Any]:
        return {"inference": self.inference.to_dict(), "judge": self.judge.to_dict(),
                "judge_unconfirmed_usd": pusd_to_usd(self.judge_unconfirmed_pusd),
                "judge_unconfirmed_calls": self.judge_unconfirmed_attempts}


def bucket_totals(rows: Iterable[Any], book: PriceBook) -> BucketTotals:
    """:func:`explain` summed over ``rows`` (records or stored rows) by bucket."""
    t = BucketTotals()
    for r in rows:
        t.add(explain(r, book))
    return t


def spend_by_bucket(conn: sqlite3.Connection, book: PriceBook, since: float | None,
                    until: float) -> BucketSpend:
    """Inference and judge spend in [since, until) split by billing bucket,
    each output re-explained by the engine (exact per bucket)."""
    inf = bucket_totals(store_outputs.billing_rows(conn, since, until), book)
    judge = bucket_totals(store_judge_calls.billing_rows(conn, since, until), book)
    _, unconfirmed, attempts = store_judge_calls.unconfirmed(conn, since, until)
    return BucketSpend(inf, judge, unconfirmed, attempts)


def bucket_lines(bs: BucketSpend) -> list[str]:
    """What `evaltop spend --by bucket` prints."""
    out: list[str] = []
    for name, t in (("Inference", bs.inference), ("Judge calls", bs.judge)):
        out += [name, f"  {'bucket':<22}{'tokens':>14}  amount"]
        for b in BUCKETS:
            out.append(f"  {BUCKET_LABELS[b]:<22}{t.tokens[b]:>14,}  {_money(t.amount[b])}")
        total = sum(t.amount.values(), Decimal(0))
        out.append(f"  {'total (itemised)':<36}  {_money(total)}")
        writes = t.amount["cache_write_5m"] + t.amount["cache_write_1h"]
        out.append(f"  cache writes cost {_money(writes)} "
                   f"({_money(t.write_premium)} above the uncached input rate); "
                   f"cache reads saved {_money(t.cache_saved)}; "
                   f"net saved by caching {_money(t.cache_saved - t.write_premium)}")
        if t.unpriced:
            out.append(f"  {t.unpriced:,} unpriced (in no bucket)")
        if t.not_itemised:
            out.append(f"  {t.not_itemised:,} with a cost reported by the log or unbilled "
                       f"({format_usd(t.not_itemised_pusd)}, not split by bucket)")
        if t.repriced:
            out.append(f"  {t.repriced:,} outputs stored at other prices: stored "
                       f"{format_usd(t.stored_pusd)}, today's prices {_money(total)} "
                       "(evaltop reprice rewrites them)")
        out.append("")
    if bs.judge_unconfirmed_attempts:
        out.append(f"Judge unconfirmed: {format_usd(bs.judge_unconfirmed_pusd)} over "
                   f"{bs.judge_unconfirmed_attempts:,} attempts cut off after sending "
                   "(may or may not be billed; counted by the budget, not above)")
    return out


def _money(amount: Decimal) -> str:
    sign = "-" if amount < 0 else ""
    return sign + format_usd(int(abs(amount).to_integral_value()))
