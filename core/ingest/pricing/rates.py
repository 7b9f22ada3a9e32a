"""One model's price and the rules that turn token counts into an exact cost.

A :class:`Price` holds picodollars per token for six billing buckets
(:data:`BUCKETS`), optional long-context tiers (the whole request moves to
the highest tier whose threshold its prompt passes, cached tokens counted),
and optional rates per mode (``batch``, ``flex``, ``priority``). Which rate
each bucket gets under a (tier, mode) is resolved once per price and kept
(:meth:`Price.plan`), so pricing a record is a few integer multiplications.

A rate the price lacks is never silently $0: docs/pricing.md "Fallbacks"
lists the rule used for each gap; a bucket priced by a fallback carries the
rule's text (``price_fallback``), and a gap with no safe fallback leaves the
record unpriced (``None``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, NamedTuple

# The billing buckets, in the order every tuple below uses.
INPUT, CACHE_READ, WRITE_5M, WRITE_1H, OUTPUT, REASONING = range(6)
BUCKETS = ("input", "cache_read", "cache_write_5m", "cache_write_1h", "output", "reasoning")
BUCKET_LABELS = {
    "input": "uncached input",
    "cache_read": "cache read",
    "cache_write_5m": "5-minute cache write",
    "cache_write_1h": "1-hour cache write",
    "output": "output",
    "reasoning": "reasoning",
}
MODES = ("standard", "batch", "flex", "priority")
# OpenAI service_tier values billed at standard rates.
STANDARD_TIERS = frozenset({"", "default", "auto", "standard", "on_demand"})

TTL_UNKNOWN = "cache-write TTL not reported: priced at the 5-minute rate"


def _whole(rates: tuple) -> tuple | None:
    if any(r is None for r in rates):
        return None
    return tuple(int(r) for r in rates) if all(r == r.to_integral_value() for r in rates) else None


@dataclass(frozen=True)
class Tier:
    """Rates for requests whose prompt (all input tokens) is above ``above``."""

    above: int
    rates: dict[str, Decimal] = field(default_factory=dict, hash=False)
    modes: dict[str, dict[str, Decimal]] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Plan:
    """The resolved rates of one (tier, mode): what :meth:`Price.charge` sums."""

    rates: tuple  # six Decimal rates, or all None when unpriced
    notes: tuple  # six fallback texts (None: the bucket's own rate)
    rules: tuple[str, ...]  # rules applied whatever the counts (tier, mode)
    unpriced: str | None  # why this (tier, mode) cannot be priced
    whole: tuple | None  # the rates as ints when all are whole picodollars
    noted: tuple[int, ...] = ()  # the buckets priced by a fallback rule


class Quote(NamedTuple):
    cost_pusd: int | None
    fallback: str | None  # the fallback rules used, "; "-joined; None: none
    unpriced: str | None = None


@dataclass(frozen=True)
class Price:
    """Picodollars per token. ``None`` = no separate rate (a rule decides)."""

    input: Decimal
    output: Decimal
    cached_input: Decimal | None = None
    cache_write: Decimal | None = None
    reasoning: Decimal | None = None
    source: str = "builtin"
    cache_write_1h: Decimal | None = None
    tiers: tuple[Tier, ...] = ()
    modes: dict[str, dict[str, Decimal]] = field(default_factory=dict, hash=False)
    name: str = ""  # the entry's name in its table
    effective_from: float | None = None  # epoch seconds; None: always
    as_of: str = ""  # the table's date (built-in)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_plans", {})
        object.__setattr__(self, "tiers", tuple(sorted(self.tiers, key=lambda t: t.above)))
        object.__setattr__(self, "_std", self.plan(0, "standard"))

    # -- the rates -------------------------------------------------------
    def base_rates(self) -> dict[str, Decimal | None]:
        return {"input": self.input, "cache_read": self.cached_input,
                "cache_write_5m": self.cache_write, "cache_write_1h": self.cache_write_1h,
                "output": self.output, "reasoning": self.reasoning}

    def rates(self) -> tuple[Decimal, Decimal, Decimal, Decimal, Decimal]:
        """(uncached input, cache read, 5-minute write, output, reasoning) of the
        standard short-context tier, fallbacks applied."""
        r = self._std.rates
        return r[INPUT], r[CACHE_READ], r[WRITE_5M], r[OUTPUT], r[REASONING]

    def tier_index(self, input_tokens: int) -> int:
        """0: the base tier; i: ``tiers[i - 1]``, the highest one passed."""
        idx = 0
        for i, t in enumerate(self.tiers, 1):
            if input_tokens > t.above:
                idx = i
        return idx

    def plan(self, tier: int, mode: str) -> Plan:
        key = (tier, mode)
        plans: dict = self._plans  # type: ignore[attr-defined]
        if key not in plans:
            plans[key] = _resolve(self, tier, mode)
        return plans[key]

    # -- costs -----------------------------------------------------------
    def charge(self, counts: tuple[int, int, int, int, int, int], input_tokens: int,
               mode: str = "standard", ttl_known: bool = True) -> Quote:
        """Exact cost of bucket ``counts`` (see :func:`split`), summed exactly and
        rounded once, half-even; ``input_tokens`` (the whole prompt) picks the tier."""
        plan = self._std if mode == "standard" and not self.tiers else self.plan(
            self.tier_index(input_tokens) if self.tiers else 0, mode)
        if plan.unpriced is not None:
            return Quote(None, plan.unpriced, plan.unpriced)
        r = plan.whole or plan.rates
        total = (counts[0] * r[0] + counts[1] * r[1] + counts[2] * r[2] + counts[3] * r[3]
                 + counts[4] * r[4] + counts[5] * r[5])
        if type(total) is not int:
            total = int(total.to_integral_value(rounding=ROUND_HALF_EVEN))
        return Quote(total, _fallback(plan, counts, ttl_known))

    def quote(self, i: int, o: int, cached: int, writes: int, writes_1h: int | None,
              reasoning: int, mode: str = "standard") -> tuple[int | None, str | None]:
        """(cost, fallback) of usage counts: :meth:`charge` of :func:`split`,
        inlined for the ingest hot path (same result, tested)."""
        plan = self._std if mode == "standard" and not self.tiers else self.plan(
            self.tier_index(i) if self.tiers else 0, mode)
        if plan.unpriced is not None:
            return None, plan.unpriced
        w1 = 0 if writes_1h is None else writes_1h if writes_1h < writes else writes
        r = reasoning if reasoning < o else o
        u = i - cached - writes
        counts = (u if u > 0 else 0, cached, writes - w1, w1, o - r, r)
        k = plan.whole or plan.rates
        total = (counts[0] * k[0] + cached * k[1] + counts[2] * k[2] + w1 * k[3]
                 + counts[4] * k[4] + r * k[5])
        if type(total) is not int:
            total = int(total.to_integral_value(rounding=ROUND_HALF_EVEN))
        return total, _fallback(plan, counts, writes_1h is not None)

    def cost_of(self, input_tokens: int, output_tokens: int, cached_input_tokens: int = 0,
                cache_write_tokens: int = 0, reasoning_tokens: int = 0,
                cache_write_1h_tokens: int | None = None) -> int | None:
        """Exact standard-mode cost of these counts (as in ``Usage``: cache reads
        and writes are part of the input, reasoning part of the output)."""
        counts = split(input_tokens, output_tokens, cached_input_tokens, cache_write_tokens,
                       cache_write_1h_tokens, reasoning_tokens)
        return self.charge(counts, input_tokens).cost_pusd

    def cost_pusd(self, usage: Any) -> int | None:
        return self.cost_of(usage.input_tokens, usage.output_tokens, usage.cached_input_tokens,
                            usage.cache_write_tokens, usage.reasoning_tokens,
                            usage.cache_write_1h_tokens)


def _fallback(plan: Plan, counts: tuple, ttl_known: bool) -> str | None:
    """The fallback rules used for these counts ("; "-joined), or None."""
    if ttl_known or not counts[WRITE_5M]:
        for b in plan.noted:
            if counts[b]:
                break
        else:
            return None
    notes = [plan.notes[b] for b in plan.noted if counts[b]]
    if not ttl_known and counts[WRITE_5M]:
        notes.append(TTL_UNKNOWN)
    return "; ".join(dict.fromkeys(notes))


def split(input_tokens: int, output_tokens: int, cached: int, writes: int,
          writes_1h: int | None, reasoning: int) -> tuple[int, int, int, int, int, int]:
    """Usage counts (subsets inside totals) -> the six disjoint bucket counts.
    Reasoning is inside the output (never added twice); 1-hour writes inside
    the writes (``None``: not reported, all writes count as 5-minute)."""
    w1 = 0 if writes_1h is None else min(writes_1h, writes)
    r = reasoning if reasoning < output_tokens else output_tokens
    uncached = input_tokens - cached - writes
    return (uncached if uncached > 0 else 0, cached, writes - w1, w1, output_tokens - r, r)


def mode_of(batch: bool, service_tier: str | None) -> str:
    """The rate set a call is billed at: batch wins; then the service tier."""
    if batch:
        return "batch"
    t = (service_tier or "").strip().lower()
    if t in STANDARD_TIERS:
        return "standard"
    return t  # flex, priority, or a tier no price knows (resolved as a fallback)


def _k(n: int) -> str:
    return f"{n:,}"


def _resolve(p: Price, tier: int, mode: str) -> Plan:
    base = p.base_rates()
    t = p.tiers[tier - 1] if tier else None
    rules: list[str] = []
    notes: list[str | None] = [None] * 6
    # 1. the standard rates of the tier
    std: list[Decimal | None] = [None] * 6
    for i, b in enumerate(BUCKETS):
        std[i] = t.rates.get(b) if t is not None else base[b]
    if t is not None:
        rules.append(f"long-context tier: prompt above {_k(t.above)} tokens")
        for i in (INPUT, OUTPUT):
            if std[i] is None:
                why = f"no {BUCKETS[i]} rate for the tier above {_k(t.above)} tokens"
                return Plan((None,) * 6, (None,) * 6, tuple(rules), why, None)
        ratio = std[INPUT] / p.input if p.input else None
        for i in (CACHE_READ, WRITE_5M, WRITE_1H):
            if std[i] is None and base[BUCKETS[i]] is not None and ratio is not None:
                std[i] = base[BUCKETS[i]] * ratio
                notes[i] = (f"{BUCKET_LABELS[BUCKETS[i]]}: base rate x the tier's input ratio"
                            f" ({ratio.normalize()}x)")
    if std[CACHE_READ] is None:
        std[CACHE_READ] = std[INPUT]
        notes[CACHE_READ] = "no cache-read rate: priced at the input rate (an upper bound)"
    if std[WRITE_5M] is None:
        std[WRITE_5M] = std[INPUT]
        notes[WRITE_5M] = "no cache-write rate: priced at the input rate"
    if std[WRITE_1H] is None:
        std[WRITE_1H] = 2 * std[INPUT]
        notes[WRITE_1H] = "no 1-hour cache-write rate: priced at 2x the input rate"
    if std[REASONING] is None:
        std[REASONING] = std[OUTPUT]  # the documented rule, not a fallback
    if mode == "standard":
        return _plan(std, notes, rules, None)
    # 2. a mode: explicit rates, else the mode's input ratio, else a fallback
    explicit = dict((t.modes if t is not None else p.modes).get(mode, {}))
    base_mode = p.modes.get(mode, {})
    if mode not in ("batch", "flex", "priority"):
        notes = [n or f"service tier {mode!r} has no rates: priced at standard rates"
                 for n in notes]
        return _plan(std, notes, [*rules, f"service tier {mode!r} (unknown)"], None)
    rules.append("batch rates" if mode == "batch" else f"service tier {mode}")
    if "input" in explicit:
        ratio = explicit["input"] / std[INPUT] if std[INPUT] else None
    elif "input" in base_mode and p.input:
        ratio = base_mode["input"] / p.input
    else:
        ratio = None
    if ratio is None and not explicit:
        if mode == "priority":
            why = "no priority rates for this model: priority costs more than standard"
            return Plan((None,) * 6, (None,) * 6, tuple(rules), why, None)
        notes = [n or f"no {mode} rates: priced at standard rates (an upper bound)"
                 for n in notes]
        return _plan(std, notes, rules, None)
    out: list[Decimal | None] = [None] * 6
    for i, b in enumerate(BUCKETS):
        if b in explicit:
            out[i] = explicit[b]
            notes[i] = None
        elif i == REASONING and base["reasoning"] is None:
            continue  # follows the mode's output rate, below
        elif ratio is not None:
            out[i] = std[i] * ratio
            if i in (INPUT, OUTPUT, REASONING):
                notes[i] = f"no {mode} {b} rate: standard rate x the {mode} input ratio"
        else:
            out[i] = std[i]
            notes[i] = f"no {mode} {b} rate: priced at the standard rate"
    if out[REASONING] is None:
        out[REASONING] = out[OUTPUT]
        notes[REASONING] = notes[OUTPUT]
    return _plan(out, notes, rules, None)


def _plan(rates: list, notes: list, rules: list, unpriced: str | None) -> Plan:
    r = tuple(rates)
    return Plan(r, tuple(notes), tuple(rules), unpriced, _whole(r),
                tuple(i for i, n in enumerate(notes) if n is not None))
