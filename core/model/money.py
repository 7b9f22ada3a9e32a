"""Exact money. Amounts are integer picodollars (1e-12 USD) everywhere below
the display; Decimal in between; float only when printed or put in JSON."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

PUSD_PER_USD = 10**12
_MTOK = Decimal(1_000_000)


def usd_to_pusd(usd: Decimal | float | int | str) -> int:
    """USD (any numeric form) to integer picodollars, rounding half-even.

    Floats go through ``str`` so 0.1 stays 0.1 and not 0.1000000000000000055.
    """
    if isinstance(usd, float):
        usd = Decimal(repr(usd))
    elif not isinstance(usd, Decimal):
        usd = Decimal(usd)
    return int((usd * PUSD_PER_USD).to_integral_value(rounding=ROUND_HALF_EVEN))


def per_mtok_to_pusd_per_token(usd_per_mtok: Decimal | float | str) -> Decimal:
    """A price in USD per million tokens as picodollars per token (exact)."""
    if isinstance(usd_per_mtok, float):
        usd_per_mtok = Decimal(repr(usd_per_mtok))
    return Decimal(usd_per_mtok) * PUSD_PER_USD / _MTOK


def pusd_to_usd(pusd: int | None) -> float | None:
    """For JSON and display only."""
    if pusd is None:
        return None
    return float(Decimal(pusd) / PUSD_PER_USD)


def format_usd(pusd: int | None, *, unpriced: str = "unpriced") -> str:
    """Human text: $1,234.57, $0.0123, $0.000042 (enough digits to be non-zero)."""
    if pusd is None:
        return unpriced
    usd = Decimal(pusd) / PUSD_PER_USD
    if usd == 0:
        return "$0.00"
    if abs(usd) >= 1:
        return f"${usd:,.2f}"
    if abs(usd) >= Decimal("0.01"):
        return f"${usd:.4f}"
    return f"${usd:.6f}"
