"""Display helpers several screens share: timestamps, "as of", a segment's
name and a metric's value. Screens import these from here, never from a
sibling screen."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.text import Text

from evaltop.core.analysis.regressions import Regression, Segment
from evaltop.tui.widgets.safe_text import cell


def when(ts: float, fmt: str = "%m-%d %H:%M") -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime(fmt)


def as_of_text(as_of: float | None, now: float) -> str:
    """"as of HH:MM:SS" for a result read from the analysis cache (older than
    ``now``); "" for one computed for ``now``."""
    return "" if as_of is None or as_of >= now else f"as of {when(as_of, '%H:%M:%S')} UTC"


def segment_text(seg: Segment, width: int = 40) -> Text:
    return cell(seg.text(), width)


def metric_value(r: Regression, value: float | None, *, delta: bool = False) -> str:
    """Pass rates as percent (points for a delta); mean scores as numbers."""
    if value is None:
        return "n/a"
    if r.metric == "pass_rate":
        return f"{value * 100:+.1f}" if delta else f"{value * 100:.1f}%"
    return f"{value:+.2f}" if delta else f"{value:.2f}"
