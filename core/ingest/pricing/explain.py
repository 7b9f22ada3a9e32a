"""A cost a user can check line by line: :func:`explain` -> :class:`Breakdown`.

It re-runs the same engine ingest priced with (``PriceBook.quote``) on a
record, a stored ``outputs`` row or a ``judge_calls`` row, and keeps every
step: each billing bucket's tokens, rate and exact amount, the rules applied
(long-context tier, batch, service tier), the fallbacks used and the price
entry and source. ``Breakdown.total_pusd`` always equals the cost the engine
stores for the same inputs (a test checks it); ``stored_pusd`` is what the
database holds, which differs only when prices changed since (``evaltop
reprice``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from evaltop.core.ingest.pricing.book import PriceBook, reported_pusd
from evaltop.core.ingest.pricing.rates import (
    BUCKET_LABELS,
    BUCKETS,
    TTL_UNKNOWN,
    mode_of,
    split,
)
from evaltop.core.model.money import PUSD_PER_USD
from evaltop.core.model.records import LoggedOutput

_MTOK = Decimal(1_000_000)


@dataclass(frozen=True)
class BucketLine:
    bucket: str  # one of rates.BUCKETS
    tokens: int
    rate_pusd_per_token: Decimal | None  # None: unpriced
    amount_pusd: Decimal | None  # exact (tokens x rate), before the one rounding
    fallback: str | None = None  # the fallback rule that set this rate

    @property
    def label(self) -> str:
        return BUCKET_LABELS[self.bucket]

    @property
    def usd_per_mtok(self) -> Decimal | None:
        if self.rate_pusd_per_token is None:
            return None
        return (self.rate_pusd_per_token * _MTOK / PUSD_PER_USD).normalize()

    def to_dict(self) -> dict[str, Any]:
        return {
            "bucket": self.bucket, "label": self.label, "tokens": self.tokens,
            "usd_per_mtok": None if self.usd_per_mtok is None else str(self.usd_per_mtok),
            "amount_pusd": (None if self.amount_pusd is None
                            else format(self.amount_pusd.normalize(), "f")),
            "fallback": self.fallback,
        }


@dataclass(frozen=True)
class Breakdown:
    model: str
    lines: tuple[BucketLine, ...]  # every bucket, in rates.BUCKETS order
    total_pusd: int | None  # the engine's cost now (None: unpriced)
    source: str | None  # builtin / file / config / reported / unbilled-error; None: unpriced
    entry: str | None  # the price entry that priced it
    as_of: str | None  # the built-in table's date, or the entry's effective_from
    rules: tuple[str, ...]  # rules applied: tier, batch, service tier
    fallbacks: tuple[str, ...]  # fallback rules used (price_fallback)
    unpriced: str | None  # why there is no cost, when there is none
    stored_pusd: int | None  # what the store holds (None for a record not stored)
    batch: bool = False
    service_tier: str | None = None

    @property
    def price_fallback(self) -> str | None:
        return "; ".join(self.fallbacks) if self.fallbacks else None

    @property
    def source_text(self) -> str:
        """``built-in as of DATE``, ``config``, ``file``, ``reported by the log``..."""
        if self.source == "builtin":
            return f"built-in as of {self.as_of}" if self.as_of else "built-in"
        if self.source == "reported":
            return "reported by the log"
        if self.source == "unbilled-error":
            return "unbilled (failed call)"
        if self.source is None:
            return "unpriced"
        return f"{self.source} (from {self.as_of})" if self.as_of else self.source

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model, "entry": self.entry, "source": self.source,
            "source_text": self.source_text, "as_of": self.as_of,
            "total_pusd": self.total_pusd, "stored_pusd": self.stored_pusd,
            "rules": list(self.rules), "price_fallback": self.price_fallback,
            "unpriced": self.unpriced, "batch": self.batch, "service_tier": self.service_tier,
            "lines": [ln.to_dict() for ln in self.lines],
        }


def _fields(obj: LoggedOutput | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(obj, LoggedOutput):
        u = obj.usage
        return {
            "model": obj.model, "ts": obj.ts.timestamp(),
            "input_tokens": u.input_tokens if u else 0,
            "output_tokens": u.output_tokens if u else 0,
            "cached_input_tokens": u.cached_input_tokens if u else 0,
            "cache_write_tokens": u.cache_write_tokens if u else 0,
            "cache_write_1h_tokens": u.cache_write_1h_tokens if u else None,
            "reasoning_tokens": u.reasoning_tokens if u else 0,
            "batch": obj.batch, "service_tier": obj.service_tier,
            "reported_usd": obj.reported_cost_usd, "cost_pusd": None, "cost_source": None,
        }
    row = dict(obj)  # sqlite3.Row, dict: outputs or judge_calls columns
    return {
        "model": row.get("model") or "", "ts": row.get("ts"),
        "input_tokens": row.get("input_tokens") or 0,
        "output_tokens": row.get("output_tokens") or 0,
        "cached_input_tokens": row.get("cached_input_tokens") or 0,
        "cache_write_tokens": row.get("cache_write_tokens") or 0,
        "cache_write_1h_tokens": row.get("cache_write_1h_tokens"),
        "reasoning_tokens": row.get("reasoning_tokens") or 0,
        "batch": bool(row.get("batch") or 0), "service_tier": row.get("service_tier"),
        "reported_usd": None, "cost_pusd": row.get("cost_pusd"),
        "cost_source": row.get("cost_source"),
    }


def explain(obj: LoggedOutput | Mapping[str, Any], book: PriceBook) -> Breakdown:
    """How the cost of a record or a stored row is made, bucket by bucket."""
    f = _fields(obj)
    counts = split(f["input_tokens"], f["output_tokens"], f["cached_input_tokens"],
                   f["cache_write_tokens"], f["cache_write_1h_tokens"], f["reasoning_tokens"])
    stored = f["cost_pusd"]
    common = {"model": f["model"], "stored_pusd": stored, "batch": f["batch"],
              "service_tier": f["service_tier"]}
    bare = tuple(BucketLine(b, c, None, None) for b, c in zip(BUCKETS, counts, strict=True))
    if f["reported_usd"] is not None or f["cost_source"] in ("reported", "unbilled-error"):
        src = f["cost_source"] or "reported"
        total = reported_pusd(f["reported_usd"]) if f["reported_usd"] is not None else stored
        return Breakdown(lines=bare, total_pusd=total, source=src, entry=None, as_of=None,
                         rules=(f"cost {'reported by the log' if src == 'reported' else src}",),
                         fallbacks=(), unpriced=None, **common)
    ts = f["ts"]
    price = book.lookup(f["model"], ts) if f["model"] else None
    if price is None:
        why = "no price for this model" if f["model"] else "no model logged"
        return Breakdown(lines=bare, total_pusd=None, source=None, entry=None, as_of=None,
                         rules=(), fallbacks=(), unpriced=why, **common)
    mode = mode_of(f["batch"], f["service_tier"])
    plan = price.plan(price.tier_index(f["input_tokens"]), mode)
    as_of = price.as_of or None
    if price.effective_from is not None:
        as_of = datetime.fromtimestamp(price.effective_from, UTC).date().isoformat()
    if plan.unpriced is not None:
        return Breakdown(lines=bare, total_pusd=None, source=None, entry=price.name, as_of=as_of,
                         rules=plan.rules, fallbacks=(plan.unpriced,), unpriced=plan.unpriced,
                         **common)
    lines, total, fallbacks = [], Decimal(0), []
    for b, c, rate, note in zip(BUCKETS, counts, plan.rates, plan.notes, strict=True):
        amount = c * Decimal(rate)
        total += amount
        used = note if c else None
        lines.append(BucketLine(b, c, Decimal(rate), amount, used))
        if used:
            fallbacks.append(used)
    rules = list(plan.rules)
    if f["cache_write_1h_tokens"] is None and counts[2]:
        fallbacks.append(TTL_UNKNOWN)
    if counts[5] and price.reasoning is None:
        rules.append("reasoning at the output rate (inside output tokens, counted once)")
    return Breakdown(
        lines=tuple(lines), total_pusd=int(total.to_integral_value(rounding=ROUND_HALF_EVEN)),
        source=price.source, entry=price.name, as_of=as_of, rules=tuple(rules),
        fallbacks=tuple(dict.fromkeys(fallbacks)), unpriced=None, **common)
