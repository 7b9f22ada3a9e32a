"""The price book: layered entries, name resolution, the entry in force at a time."""

from __future__ import annotations

import re
import time
from typing import NamedTuple

from evaltop.core.ingest.pricing.rates import Price, mode_of
from evaltop.core.ingest.pricing.sources import (
    builtin_prices,
    load_litellm_file,
    price_from_mtok,
)
from evaltop.core.model.config import Config
from evaltop.core.model.money import PUSD_PER_USD
from evaltop.core.model.records import LoggedOutput, Usage

# Suffixes that name a snapshot of a model rather than another model.
_SNAPSHOT = [
    re.compile(p)
    for p in (
        r"@.*$",  # vertex: claude-3-5-sonnet@20240620
        r"-v\d+:\d+$",  # bedrock: ...-v1:0
        r"-\d{4}-\d{2}-\d{2}$",  # gpt-4o-mini-2024-07-18
        r"-\d{8}$",  # claude-sonnet-4-5-20250929
        r"-latest$",
        r"-(preview|exp)(-[\d-]+)?$",  # gemini-2.5-flash-preview-05-20
        r"-\d{2}-\d{2}$",
        r"-\d{4}$",  # gpt-4-0613, gpt-3.5-turbo-0125
        r"-\d{3}$",  # gemini-1.5-pro-002
    )
]
# Bedrock ids: an optional inference-profile prefix (us., eu., apac., global.,
# us-gov.), the vendor, and a version suffix (-v1:0, or -v1 in newer ids).
_BEDROCK = re.compile(
    r"^([a-z]{2,6}(-[a-z]{2,4})?\.)?(anthropic|meta|mistral|amazon|cohere|deepseek|openai)\.")
_BEDROCK_VERSION = re.compile(r"-v\d+(:\d+)?$")


def candidate_names(model: str) -> list[str]:
    """Names to try, most specific first: as given, without provider prefix,
    then with snapshot suffixes peeled off one at a time."""
    m = model.strip().lower()
    names = [m]
    last = m.rsplit("/", 1)[-1]
    bare = _BEDROCK.sub("", last)
    if bare != last:  # a Bedrock id: its version suffix is not part of the name
        bare = _BEDROCK_VERSION.sub("", bare) or bare
    if bare != m:
        names.append(bare)
    cur = bare
    changed = True
    while changed:
        changed = False
        for pat in _SNAPSHOT:
            nxt = pat.sub("", cur)
            if nxt != cur and nxt:
                cur = nxt
                names.append(cur)
                changed = True
                break
    return list(dict.fromkeys(names))


class Priced(NamedTuple):
    """How one output was priced (the stored columns)."""

    cost_pusd: int | None
    cost_source: str | None  # builtin / file / config / reported; None: unpriced
    price_entry: str | None  # the table entry that priced it (None: reported or unpriced)
    price_fallback: str | None  # fallback rules used, or why it is unpriced


UNPRICED = Priced(None, None, None, None)
_MISSING = object()


class PriceBook:
    def __init__(self, prices: dict[str, Price | list[Price]], as_of: str = ""):
        self._entries: dict[str, list[Price]] = {}
        for k, v in prices.items():
            for p in v if isinstance(v, list) else [v]:
                self.add(k, p)
        self.as_of = as_of
        self._cache: dict[str, list[Price] | None] = {}
        self._fixed: dict[str, Price | None] = {}  # model -> its one undated entry

    def add(self, name: str, price: Price) -> None:
        """A later layer's entry: undated, it replaces every earlier entry of
        the name; dated (``effective_from``), it applies from that time on."""
        name = name.lower()
        if price.effective_from is None or name not in self._entries:
            self._entries[name] = [price]
        else:
            kept = [p for p in self._entries[name] if p.effective_from != price.effective_from]
            self._entries[name] = sorted([*kept, price], key=_eff)
        self._cache = {}
        self._fixed = {}

    @classmethod
    def builtin(cls) -> PriceBook:
        entries, as_of = builtin_prices()
        return cls(entries, as_of)

    @classmethod
    def from_config(cls, cfg: Config) -> PriceBook:
        book = cls.builtin()
        if cfg.pricing.file:
            for name, p in load_litellm_file(cfg.resolve(cfg.pricing.file)).items():
                book.add(name, p)
        for name, mp in cfg.pricing.models.items():
            entry = mp.model_dump(exclude_none=True)
            book.add(name, price_from_mtok(name.lower(), entry, source="config",
                                           where=f"[pricing.models.{name!r}]"))
        return book

    def entries(self, model: str) -> list[Price] | None:
        """Every dated entry of the first name ``model`` resolves to."""
        if model in self._cache:
            return self._cache[model]
        found = None
        for name in candidate_names(model):
            if name in self._entries:
                found = self._entries[name]
                break
        self._cache[model] = found
        return found

    def lookup(self, model: str, ts: float | None = None) -> Price | None:
        """The entry in force at ``ts`` (epoch seconds; now when None)."""
        found = self.entries(model) if model else None
        if not found:
            return None
        last = found[-1]
        if last.effective_from is None:
            return last
        when = time.time() if ts is None else ts
        for p in reversed(found):
            if p.effective_from is None or p.effective_from <= when:
                return p
        return None  # every entry starts later: no price was in force

    def cost_pusd(self, model: str, usage: Usage) -> int | None:
        price = self.lookup(model) if model else None
        return None if price is None else price.cost_pusd(usage)

    def models(self) -> list[str]:
        return sorted(self._entries)

    def quote(self, model: str, ts: float | None, input_tokens: int, output_tokens: int,
              cached: int, writes: int, writes_1h: int | None, reasoning: int,
              batch: bool = False, service_tier: str | None = None) -> Priced:
        """Price one call from its counts (the hot path: no record needed)."""
        price = self._fixed.get(model, _MISSING)
        if price is _MISSING:
            found = self.entries(model) if model else None
            fixed = found is not None and len(found) == 1 and found[0].effective_from is None
            price = self._fixed[model] = found[0] if fixed else None
            if not fixed:
                self._fixed.pop(model)
                price = self.lookup(model, ts) if model else None
        if price is None:
            return UNPRICED
        mode = "standard" if not batch and service_tier is None else mode_of(batch, service_tier)
        cost, fallback = price.quote(input_tokens, output_tokens, cached, writes, writes_1h,
                                     reasoning, mode)
        return Priced(cost, None if cost is None else price.source, price.name or None, fallback)


def _eff(p: Price) -> float:
    return float("-inf") if p.effective_from is None else p.effective_from


def reported_pusd(usd) -> int:
    return int((usd * PUSD_PER_USD).to_integral_value(rounding="ROUND_HALF_EVEN"))


def price_output(rec: LoggedOutput, usage: Usage, book: PriceBook) -> Priced:
    """A cost the log reports wins ("reported"); else the book's entry in
    force at the record's time, every billing rule applied."""
    if rec.reported_cost_usd is not None:
        return Priced(reported_pusd(rec.reported_cost_usd), "reported", None, None)
    return book.quote(rec.model, rec.ts.timestamp(), usage.input_tokens, usage.output_tokens,
                      usage.cached_input_tokens, usage.cache_write_tokens,
                      usage.cache_write_1h_tokens, usage.reasoning_tokens, rec.batch,
                      rec.service_tier)


def price_record(rec: LoggedOutput, usage: Usage, book: PriceBook) -> tuple[int | None, str | None]:
    """(cost_pusd, cost_source) of :func:`price_output`; unpriced is (None, None)."""
    p = price_output(rec, usage, book)
    return p.cost_pusd, p.cost_source
