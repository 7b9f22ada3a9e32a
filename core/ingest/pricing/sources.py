"""Where prices come from: the built-in table, a LiteLLM price file, the config.

Two spellings of the same rules:

- USD per million tokens (built-in table, ``[pricing.models."M"]``):
  ``input_per_mtok``, ``output_per_mtok``, ``cached_input_per_mtok``,
  ``cache_write_per_mtok`` (5-minute), ``cache_write_1h_per_mtok``,
  ``reasoning_per_mtok``; each also with a ``batch_``, ``flex_`` or
  ``priority_`` prefix; ``tiers = [{above_input_tokens = N, ...}]`` with the
  same keys; ``effective_from`` (a date or RFC 3339 time).
- USD per token (LiteLLM's ``model_prices_and_context_window.json``):
  ``input_cost_per_token``, ``output_cost_per_token``,
  ``cache_read_input_token_cost``, ``cache_creation_input_token_cost``,
  ``cache_creation_input_token_cost_above_1hr``,
  ``output_cost_per_reasoning_token``, each optionally followed by
  ``_above_<N>k_tokens`` (a tier) and then ``_batches``, ``_flex`` or
  ``_priority`` (a mode).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from importlib.resources import files
from pathlib import Path
from typing import Any

from evaltop.core.ingest.pricing.rates import Price, Tier
from evaltop.core.model.config import ConfigError
from evaltop.core.model.money import PUSD_PER_USD, per_mtok_to_pusd_per_token
from evaltop.core.model.records import parse_ts

# per-Mtok key stem -> bucket
MTOK_STEMS = {
    "input": "input",
    "cached_input": "cache_read",
    "cache_write": "cache_write_5m",
    "cache_write_1h": "cache_write_1h",
    "output": "output",
    "reasoning": "reasoning",
}
MODE_PREFIXES = ("batch", "flex", "priority")
_META_KEYS = frozenset({"provider", "note", "ref", "effective_from", "tiers"})
_MTOK_KEY = re.compile(
    r"^(?:(batch|flex|priority)_)?(input|cached_input|cache_write_1h|cache_write|output|reasoning)"
    r"_per_mtok$"
)
# LiteLLM per-token price keys (also read by refresh.py, which builds the built-in table)
LITELLM_KEY = re.compile(
    r"^(input_cost_per_token|output_cost_per_token|cache_read_input_token_cost"
    r"|cache_creation_input_token_cost_above_1hr|cache_creation_input_token_cost"
    r"|output_cost_per_reasoning_token)(?:_above_(\d+)k_tokens)?(?:_(batches|flex|priority))?$"
)
_LITELLM_STEMS = {
    "input_cost_per_token": "input",
    "output_cost_per_token": "output",
    "cache_read_input_token_cost": "cache_read",
    "cache_creation_input_token_cost": "cache_write_5m",
    "cache_creation_input_token_cost_above_1hr": "cache_write_1h",
    "output_cost_per_reasoning_token": "reasoning",
}


def _number(value: Any, where: str, unit: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ConfigError(f"{where}: expected a number of {unit}, got {value!r}")
    try:
        d = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        raise ConfigError(f"{where}: expected a number of {unit}, got {value!r}") from None
    if not d.is_finite() or d < 0:
        raise ConfigError(f"{where}: a price must be a finite number >= 0, got {value!r}")
    return d


def _effective(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=UTC)
    try:
        return parse_ts(value).timestamp()
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{where}.effective_from: expected a date (2026-01-31) or an "
                          f"RFC 3339 time, got {value!r} ({exc})") from None


def _build(name: str, where: str, base: dict[str, Decimal],
           modes: dict[str, dict[str, Decimal]], tiers: dict[int, Tier], *, source: str,
           effective_from: float | None, as_of: str) -> Price:
    for need in ("input", "output"):
        if need not in base:
            raise ConfigError(f"{where}: needs an {need} price")
    return Price(
        input=base["input"], output=base["output"], cached_input=base.get("cache_read"),
        cache_write=base.get("cache_write_5m"), reasoning=base.get("reasoning"), source=source,
        cache_write_1h=base.get("cache_write_1h"), tiers=tuple(tiers.values()), modes=modes,
        name=name, effective_from=effective_from, as_of=as_of,
    )


def _mtok_rates(entry: dict[str, Any], where: str, allowed_meta: frozenset[str]
                ) -> tuple[dict[str, Decimal], dict[str, dict[str, Decimal]]]:
    base: dict[str, Decimal] = {}
    modes: dict[str, dict[str, Decimal]] = {}
    for key, value in entry.items():
        if key in allowed_meta:
            continue
        m = _MTOK_KEY.match(key)
        if m is None:
            raise ConfigError(f"{where}: unknown price key {key!r} (expected e.g. input_per_mtok,"
                              " cache_write_1h_per_mtok, batch_input_per_mtok, tiers)")
        if value is None:
            continue
        usd = _number(value, f"{where}.{key}", "USD per million tokens")
        rate = per_mtok_to_pusd_per_token(usd)
        bucket = MTOK_STEMS[m.group(2)]
        (modes.setdefault(m.group(1), {}) if m.group(1) else base)[bucket] = rate
    return base, modes


def price_from_mtok(name: str, entry: dict[str, Any], *, source: str, where: str,
                    as_of: str = "") -> Price:
    """A ``*_per_mtok`` entry (built-in table or config) as a :class:`Price`."""
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: expected a table of prices, got {type(entry).__name__}")
    base, modes = _mtok_rates(entry, where, _META_KEYS)
    tiers: dict[int, Tier] = {}
    raw_tiers = entry.get("tiers") or []
    if not isinstance(raw_tiers, list):
        raise ConfigError(f"{where}.tiers: expected a list of tables")
    for i, t in enumerate(raw_tiers):
        tw = f"{where}.tiers[{i}]"
        if not isinstance(t, dict) or "above_input_tokens" not in t:
            raise ConfigError(f"{tw}: expected {{above_input_tokens = N, input_per_mtok = ...}}")
        above = t["above_input_tokens"]
        if isinstance(above, bool) or not isinstance(above, int) or above < 0:
            raise ConfigError(f"{tw}.above_input_tokens: expected a whole number >= 0")
        if above in tiers:
            raise ConfigError(f"{tw}: a second tier above {above} tokens")
        t_base, t_modes = _mtok_rates(t, tw, frozenset({"above_input_tokens"}))
        for need in ("input", "output"):
            if need not in t_base:
                raise ConfigError(f"{tw}: needs {need}_per_mtok")
        tiers[above] = Tier(above, t_base, t_modes)
    return _build(name, where, base, modes, tiers, source=source,
                  effective_from=_effective(entry.get("effective_from"), where), as_of=as_of)


def price_from_litellm(name: str, entry: dict[str, Any], *, where: str) -> Price | None:
    """A LiteLLM entry (USD per token) as a :class:`Price`; None without token prices."""
    if "input_cost_per_token" not in entry or "output_cost_per_token" not in entry:
        return None
    base: dict[str, Decimal] = {}
    modes: dict[str, dict[str, Decimal]] = {}
    tier_rates: dict[int, dict[str, Decimal]] = {}
    tier_modes: dict[int, dict[str, dict[str, Decimal]]] = {}
    for key, value in entry.items():
        m = LITELLM_KEY.match(key)
        if m is None or value is None:
            continue
        usd = _number(value, f"{where}.{key}", "USD per token")
        rate = usd * PUSD_PER_USD
        bucket = _LITELLM_STEMS[m.group(1)]
        mode = {"batches": "batch"}.get(m.group(3), m.group(3))
        if m.group(2):
            above = int(m.group(2)) * 1000
            if mode:
                tier_modes.setdefault(above, {}).setdefault(mode, {})[bucket] = rate
            else:
                tier_rates.setdefault(above, {})[bucket] = rate
        elif mode:
            modes.setdefault(mode, {})[bucket] = rate
        else:
            base[bucket] = rate
    tiers = {a: Tier(a, tier_rates.get(a, {}), tier_modes.get(a, {}))
             for a in sorted(set(tier_rates) | set(tier_modes))}
    return _build(name, where, base, modes, tiers, source="file", effective_from=None, as_of="")


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
        price = price_from_litellm(name.lower(), entry, where=f"{path}: {name}")
        if price is not None:
            prices[name.lower()] = price
    return prices


def builtin_table() -> dict[str, Any]:
    return json.loads(
        files("evaltop.core.data").joinpath("prices.json").read_text(encoding="utf-8")
    )


def builtin_prices() -> tuple[dict[str, list[Price]], str]:
    """Every built-in entry (a model may list dated entries), and the table's date."""
    table = builtin_table()
    as_of = table.get("as_of", "")
    out: dict[str, list[Price]] = {}
    for name, entry in table["models"].items():
        entries = entry if isinstance(entry, list) else [entry]
        out[name.lower()] = [
            price_from_mtok(name.lower(), e, source="builtin", where=f"prices.json: {name}",
                            as_of=as_of)
            for e in entries
        ]
    return out, as_of
