"""Display helpers several screens share: timestamps, "as of", a segment's
name and a metric's value. Screens import these from here, never from a
sibling screen."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.text import Text

from evaltop.core.analysis.regressions import Regression, Segment
from evaltop.tui.widgets.safe_text import cell, line


def when(ts: float, fmt: str = "%m-%d %H:%M") -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime(fmt)


def as_of_text(as_of: float | None, now: float) -> str:
    """"as of HH:MM:SS" for a result read from the analysis cache (older than
    ``now``); "" for one computed for ``now``."""
    return "" if as_of is None or as_of >= now else f"as of {when(as_of, '%H:%M:%S')} UTC"


def segment_text(seg: Segment, width: int = 40) -> Text:
    return cell(seg.text(), width)


def small_p(x: float) -> str:
    """A p or q value: 4 decimals, or "<0.0001" rather than a zero it is not."""
    return "<0.0001" if x < 1e-4 else f"{x:.4f}"


def metric_value(r: Regression, value: float | None, *, delta: bool = False) -> str:
    """Pass rates as percent (points for a delta); mean scores as numbers."""
    if value is None:
        return "n/a"
    if r.metric == "pass_rate":
        return f"{value * 100:+.1f}" if delta else f"{value * 100:.1f}%"
    return f"{value:+.2f}" if delta else f"{value:.2f}"


def segment_parts(seg: Segment) -> tuple[str, str, str]:
    """(model, task, "prompt / variant") as a row shows them: "all" where the
    segment spans every value (a task-level comparison)."""
    pv = " / ".join(str(v) for v in (seg.prompt_version, seg.variant) if v not in (None, "", "*"))
    return (seg.model or "all", seg.task or "all", pv)


def e_text(r: Regression) -> str:
    """The sequential test's evidence, short (20 or more is a finding)."""
    if r.e is None:
        return ""
    if r.e < 100:
        return f"{r.e:.3g}"
    return f"{r.e:.0f}" if r.e < 1e4 else f"{r.e:.0e}".replace("e+0", "e").replace("e+", "e")


def short_value(r: Regression, value: float | None, *, delta: bool = False) -> str:
    """:func:`metric_value` without decimals on pass rates: for narrow columns
    (the detail line has the full figure)."""
    if value is None:
        return "n/a"
    if r.metric == "pass_rate":
        return f"{value * 100:+.0f}" if delta else f"{value * 100:.0f}%"
    return f"{value:+.1f}" if delta else f"{value:.1f}"


def flag_text(r: Regression) -> tuple[str, str, str]:
    """(symbol, word, style) for a row's verdict: ▼ regressed, ▲ improved,
    · too few data, nothing otherwise."""
    if r.insufficient:
        return "·", "few data", "dim"
    if r.significant:
        return ("▼", "REGRESSED", "bold red") if r.regressed else ("▲", "improved", "green")
    return " ", "", ""


def regression_detail(r: Regression) -> Text:
    """Everything about one comparison on one (wrapping) line: what the table's
    columns cut or leave out."""
    symbol, word, style = flag_text(r)
    t = Text()
    if word:
        t.append(f"{symbol} {word}  ", style=style)
    t.append_text(cell(r.segment.text(), 200, style="bold"))
    t.append("  judge ", style="dim")
    t.append_text(cell(r.judge, 80))
    t.append(" (score, 2nd)" if r.role == "secondary" else f" ({r.metric.replace('_', ' ')})",
             style="dim")
    t.append(f"  {metric_value(r, r.baseline)} → {metric_value(r, r.current)}"
             f" ({metric_value(r, r.delta, delta=True)})")
    t.append(f"  n {r.n_baseline}/{r.n_current}", style="dim")
    if r.detectable is not None:
        t.append(f"  finds {r.detectable * 100:.1f} pts", style="dim")
    if r.e is not None:
        t.append(f"  e {e_text(r)}", style=style)
    if r.p is not None:
        t.append(f"  p {small_p(r.p)}", style="dim")
    if r.q is not None:
        t.append(f"  q {small_p(r.q)}", style="dim")
    if r.insufficient and r.reason:
        t.append("  ")
        t.append_text(cell(r.reason, 120, style="yellow"))
    return t


IDENTITY = ("model", "task", "judge", "pv")  # the columns that say which comparison a row is


def identity_needs(rows: list[Regression], columns) -> dict[str, int]:
    """How wide model, task, judge and prompt/variant are (header included)."""
    needs = {key: len(label) for key, label, _ in columns if key in IDENTITY}
    for r in rows:
        model, task, pv = segment_parts(r.segment)
        for key, value in (("model", model), ("task", task), ("judge", r.judge), ("pv", pv)):
            if key in needs:
                needs[key] = max(needs[key], len(line(value, 60)))
    return needs
