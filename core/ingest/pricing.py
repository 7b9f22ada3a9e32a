"""Prices and exact cost.

Three layers, later wins: the built-in table (``core/data/prices.json``,
dated), a LiteLLM ``model_prices_and_context_window.json`` file
(``[pricing].file``), and ``[pricing.models."NAME"]`` in the config.

Prices are held as Decimal picodollars per token; a cost is summed exactly
and rounded once (half-even) to integer picodollars. A model with no price is
*unpriced*: ``cost_pusd`` returns None, never 0.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from importlib.resources import files
from pathlib import Path
from typing import Any

from evaltop.core.model.config import Config, ConfigError
from evaltop.core.model.money import PUSD_PER_USD, per_mtok_to_pusd_per_token
from evaltop.core.model.records import LoggedOutput, Usage


@dataclass(frozen=True)
class Price:
    """Picodollars per token. ``None`` = no separate rate (the fallback applies)."""

    input: Decimal
    output: Decimal
    cached_input: Decimal | None = None
    cache_write: Decimal | None = None
    reasoning: Decimal | None = None
    source: str = "builtin"

    def __post_init__(self) -> None:
        rates = self.rates()
        # Whole picodollars per token (every built-in price): integer sums are
        # the same exact result as Decimal ones, several times faster.
        whole = (
            tuple(int(r) for r in rates) if all(r == r.to_integral_value() for r in rates) else None
        )
        object.__setattr__(self, "_whole", whole)

    def rates(self) -> tuple[Decimal, Decimal, Decimal, Decimal, Decimal]:
        """(uncached input, cache read, cache write, output, reasoning), fallbacks applied."""
        return (
            self.input,
            self.cached_input if self.cached_input is not None else self.input,
            self.cache_write if self.cache_write is not None else self.input,
            self.output,
            self.reasoning if self.reasoning is not None else self.output,
        )

    def cost_pusd(self, usage: Usage) -> int:
        return self.cost_of(usage.input_tokens, usage.output_tokens, usage.cached_input_tokens,
                            usage.cache_write_tokens, usage.reasoning_tokens)

    def cost_of(self, input_tokens: int, output_tokens: int, cached_input_tokens: int = 0,
                cache_write_tokens: int = 0, reasoning_tokens: int = 0) -> int:
        """Exact cost of these counts (as in :class:`Usage`: cache reads and
        writes are part of the input, reasoning part of the output), summed
        exactly and rounded once, half-even."""
        reasoning = reasoning_tokens if reasoning_tokens < output_tokens else output_tokens
        uncached = input_tokens - cached_input_tokens - cache_write_tokens
        if uncached < 0:
            uncached = 0
        i, c, w, o, r = self._whole or self.rates()
        total = (uncached * i + cached_input_tokens * c + cache_write_tokens * w
                 + (output_tokens - reasoning) * o + reasoning * r)
        if type(total) is int:
            return total
        return int(total.to_integral_value(rounding="ROUND_HALF_EVEN"))


def _per_mtok(entry: dict[str, Any], source: str) -> Price:
    def opt(key: str) -> Decimal | None:
        v = entry.get(key)
        return None if v is None else per_mtok_to_pusd_per_token(v)

    return Price(
        input=per_mtok_to_pusd_per_token(entry["input_per_mtok"]),
        output=per_mtok_to_pusd_per_token(entry["output_per_mtok"]),
        cached_input=opt("cached_input_per_mtok"),
        cache_write=opt("cache_write_per_mtok"),
        reasoning=opt("reasoning_per_mtok"),
        source=source,
    )


def _usd_per_token(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ConfigError(f"{where}: expected a number of USD per token, got {value!r}")
    try:
        d = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        raise ConfigError(f"{where}: expected a number of USD per token, got {value!r}") from None
    if d < 0 or not d.is_finite():
        raise ConfigError(f"{where}: a price must be a finite number >= 0, got {value!r}")
    return d * PUSD_PER_USD


def load_litellm_file(path: Path) -> dict[str, Price]:
    """Prices from LiteLLM's model_prices_and_context_window.json (USD per token).

    Entries without both input and output token prices (image, audio,
    embedding-only...) are skipped; a malformed price is an error naming the
    file and the key.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read price file: {exc.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: not a JSON price file: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a JSON object mapping model names to prices")
    prices: dict[str, Price] = {}
    for name, entry in data.items():
        if name == "sample_spec" or not isinstance(entry, dict):
            continue
        if "input_cost_per_token" not in entry or "output_cost_per_token" not in entry:
            continue

        def opt(key: str, entry=entry, name=name) -> Decimal | None:
            v = entry.get(key)
            return None if v is None else _usd_per_token(v, f"{path}: {name}.{key}")

        prices[name.lower()] = Price(
            input=_usd_per_token(
                entry["input_cost_per_token"], f"{path}: {name}.input_cost_per_token"
            ),
            output=_usd_per_token(
                entry["output_cost_per_token"], f"{path}: {name}.output_cost_per_token"
            ),
            cached_input=opt("cache_read_input_token_cost"),
            cache_write=opt("cache_creation_input_token_cost"),
            reasoning=opt("output_cost_per_reasoning_token"),
            source="file",
        )
    return prices


def builtin_table() -> dict[str, Any]:
    return json.loads(
        files("evaltop.core.data").joinpath("prices.json").read_text(encoding="utf-8")
    )


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


def candidate_names(model: str) -> list[str]:
    """Names to try, most specific first: as given, without provider prefix,
    then with snapshot suffixes peeled off one at a time."""
    m = model.strip().lower()
    names = [m]
    bare = m.rsplit("/", 1)[-1]
    bare = re.sub(
        r"^([a-z]{2}\.)?(anthropic|meta|mistral|amazon|cohere)\.", "", bare
    )  # bedrock ids
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


class PriceBook:
    def __init__(self, prices: dict[str, Price], as_of: str = ""):
        self._prices = {k.lower(): v for k, v in prices.items()}
        self.as_of = as_of
        self._cache: dict[str, Price | None] = {}

    @classmethod
    def builtin(cls) -> PriceBook:
        table = builtin_table()
        return cls(
            {n: _per_mtok(e, "builtin") for n, e in table["models"].items()}, table.get("as_of", "")
        )

    @classmethod
    def from_config(cls, cfg: Config) -> PriceBook:
        book = cls.builtin()
        if cfg.pricing.file:
            book._prices.update(load_litellm_file(cfg.resolve(cfg.pricing.file)))
        for name, p in cfg.pricing.models.items():
            book._prices[name.lower()] = _per_mtok(p.model_dump(), "config")
        return book

    def lookup(self, model: str) -> Price | None:
        if model in self._cache:
            return self._cache[model]
        found = None
        for name in candidate_names(model):
            if name in self._prices:
                found = self._prices[name]
                break
        self._cache[model] = found
        return found

    def cost_pusd(self, model: str, usage: Usage) -> int | None:
        price = self.lookup(model) if model else None
        return None if price is None else price.cost_pusd(usage)

    def models(self) -> list[str]:
        return sorted(self._prices)


def price_record(rec: LoggedOutput, usage: Usage, book: PriceBook) -> tuple[int | None, str | None]:
    """(cost_pusd, cost_source). A cost the log reports wins ("reported");
    else the price book's layer; unpriced is (None, None)."""
    if rec.reported_cost_usd is not None:
        return int(
            (rec.reported_cost_usd * PUSD_PER_USD).to_integral_value(rounding="ROUND_HALF_EVEN")
        ), "reported"
    price = book.lookup(rec.model) if rec.model else None
    if price is None:
        return None, None
    return price.cost_pusd(usage), price.source
