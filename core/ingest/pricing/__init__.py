"""Prices and exact cost: one engine for inference outputs and judge calls.

Three layers, later wins: the built-in table (``core/data/prices.json``,
dated), a LiteLLM ``model_prices_and_context_window.json`` file
(``[pricing].file``), and ``[pricing.models."NAME"]`` in the config.

Prices are held as Decimal picodollars per token; a cost is summed exactly
and rounded once (half-even) to integer picodollars. A model with no price is
*unpriced*: its cost is None, never 0. Every billing rule (cache writes by
TTL, long-context tiers, batch, service tier, reasoning) is in ``rates.py``;
``explain`` shows how a cost was made (docs/pricing.md).
"""

from evaltop.core.ingest.pricing.book import (
    PriceBook,
    Priced,
    candidate_names,
    price_output,
    price_record,
)
from evaltop.core.ingest.pricing.explain import Breakdown, BucketLine, explain
from evaltop.core.ingest.pricing.rates import BUCKET_LABELS, BUCKETS, Price, Quote, Tier
from evaltop.core.ingest.pricing.sources import (
    builtin_table,
    load_litellm_file,
    price_from_litellm,
    price_from_mtok,
)

__all__ = [
    "BUCKETS", "BUCKET_LABELS", "Breakdown", "BucketLine", "Price", "PriceBook", "Priced",
    "Quote", "Tier", "builtin_table", "candidate_names", "explain", "load_litellm_file",
    "price_from_litellm", "price_from_mtok", "price_output", "price_record",
]
