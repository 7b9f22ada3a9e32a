"""The ``[pricing]`` section of the config: ``file`` (a LiteLLM price file) and
``[pricing.models."NAME"]``, one model's prices in USD per million tokens with
every billing rule of docs/pricing.md (cache writes by TTL, batch, flex and
priority rates, long-context tiers, a date the price applies from).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


_Rate = Annotated[float | None, Field(ge=0)]


class _Rates(_Strict):
    """USD per million tokens for each billing bucket (docs/pricing.md)."""

    cached_input_per_mtok: _Rate = None
    cache_write_per_mtok: _Rate = None  # 5-minute cache writes
    cache_write_1h_per_mtok: _Rate = None
    reasoning_per_mtok: _Rate = None
    batch_input_per_mtok: _Rate = None
    batch_output_per_mtok: _Rate = None
    batch_cached_input_per_mtok: _Rate = None
    batch_cache_write_per_mtok: _Rate = None
    batch_cache_write_1h_per_mtok: _Rate = None
    batch_reasoning_per_mtok: _Rate = None
    flex_input_per_mtok: _Rate = None
    flex_output_per_mtok: _Rate = None
    flex_cached_input_per_mtok: _Rate = None
    flex_cache_write_per_mtok: _Rate = None
    flex_cache_write_1h_per_mtok: _Rate = None
    flex_reasoning_per_mtok: _Rate = None
    priority_input_per_mtok: _Rate = None
    priority_output_per_mtok: _Rate = None
    priority_cached_input_per_mtok: _Rate = None
    priority_cache_write_per_mtok: _Rate = None
    priority_cache_write_1h_per_mtok: _Rate = None
    priority_reasoning_per_mtok: _Rate = None


class PriceTier(_Rates):
    """The whole request's rates when its prompt is above ``above_input_tokens``."""

    above_input_tokens: int = Field(ge=0)
    input_per_mtok: float = Field(ge=0)
    output_per_mtok: float = Field(ge=0)


class ModelPrice(_Rates):
    input_per_mtok: float = Field(ge=0)
    output_per_mtok: float = Field(ge=0)
    tiers: list[PriceTier] = Field(default_factory=list)
    # the time this price applies from: a TOML date or datetime, or an RFC 3339 string
    effective_from: datetime | date | str | None = None


class PricingConfig(_Strict):
    file: str = ""
    models: dict[str, ModelPrice] = Field(default_factory=dict)
