"""Budget lines as text bars: spent / cap, percent, forecast."""

from __future__ import annotations

from rich.text import Text

from evaltop.core.model.money import format_usd
from evaltop.core.views.dashboard import BudgetLine


def budget_text(line: BudgetLine, bar_width: int = 12) -> Text:
    """``judge today     ██████░░░░░░  52% $2.61 / $5.00 → $3.90`` (→ month-end forecast)"""
    t = Text(f"{line.name:<16}", style="bold")
    frac = line.fraction
    if frac is None:
        t.append("░" * bar_width, style="dim")
        t.append("    -  ")
    else:
        filled = min(bar_width, int(frac * bar_width + 0.5))
        style = "green" if frac < 0.8 else ("yellow" if frac < 1.0 else "bold red")
        t.append("█" * filled, style=style)
        t.append("░" * (bar_width - filled), style="dim")
        t.append(f" {frac * 100:4.0f}% ", style=style)
    t.append(format_usd(line.spent_pusd))
    if line.cap_pusd is not None:
        t.append(f" / {format_usd(line.cap_pusd)}", style="dim")
    else:
        t.append(" (no budget)", style="dim")
    if line.forecast_pusd is not None:
        t.append(f" → {format_usd(line.forecast_pusd)}", style="italic")
    return t
