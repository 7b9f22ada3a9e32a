"""Overview (`1`): the header numbers, budgets, score trend, top regressions,
spend per model and the alerts pane."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.widgets import Footer, Static

from evaltop.core import dashboard
from evaltop.core.money import format_usd

from ..widgets.budget_bar import budget_text
from ..widgets.charts import TrendChart, rate_text, sparkline
from ..widgets.live_table import LiveTable
from ..widgets.safe_text import cell, join, ranked
from .base import DataScreen


def when(ts: float, fmt: str = "%m-%d %H:%M") -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime(fmt)


def segment_text(seg: dict, width: int = 40) -> Text:
    parts = [str(seg.get(k)) for k in ("task", "model", "prompt_version", "variant")
             if seg.get(k) not in (None, "", "*")]
    return cell(" / ".join(parts) or "(all)", width)


def metric_value(r: dict, value: float | None, *, delta: bool = False) -> str:
    """Pass rates as percent (points for a delta); mean scores as numbers."""
    if value is None:
        return "n/a"
    if r.get("metric", "pass_rate") == "pass_rate":
        return f"{value * 100:+.1f}" if delta else f"{value * 100:.1f}%"
    return f"{value:+.2f}" if delta else f"{value:.2f}"


def regression_cells(r: dict, rank: int, width: int = 34) -> list[Text]:
    delta = r.get("delta")
    style = "bold red" if r.get("significant") and (delta or 0) < 0 else ("dim" if r.get("insufficient") else "")
    p = r.get("p")
    return [
        ranked("", rank, 1),
        segment_text(r.get("segment") or {}, width),
        cell(r.get("judge", ""), 16),
        Text(f"{metric_value(r, r.get('baseline'))} → {metric_value(r, r.get('current'))}"),
        Text(metric_value(r, delta, delta=True), style=style),
        Text(f"{r.get('n_baseline', 0)}/{r.get('n_current', 0)}"),
        Text("few" if r.get("insufficient") else ("n/a" if p is None else f"{p:.3f}"), style=style),
    ]


class OverviewScreen(DataScreen):
    TITLE = "Overview"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]

    def compose(self) -> ComposeResult:
        yield Static(id="summary", classes="topbar")
        yield Static(id="budgets")
        with Grid(id="panes"):
            with Vertical(id="trend-pane", classes="pane"):
                yield TrendChart("pass rate % by judge", id="trend")
            with Vertical(id="regressions-pane", classes="pane"):
                yield LiveTable(
                    [("r", "", 1), ("segment", "segment", None), ("judge", "judge", None),
                     ("bc", "base → now", None), ("delta", "Δ", None), ("n", "n b/c", None),
                     ("p", "p", None)],
                    id="regressions", cursor_type="none",
                )
            with Vertical(id="spend-pane", classes="pane"):
                yield Static(id="spend")
            with Vertical(id="alerts-pane", classes="pane"):
                yield LiveTable(
                    [("r", "", 1), ("level", "level", 8), ("when", "when", 11), ("message", "message", None)],
                    id="alerts", cursor_type="none",
                )
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#trend-pane").border_title = "Score trend"
        self.query_one("#regressions-pane").border_title = "Regressions (3)"
        self.query_one("#spend-pane").border_title = "Spend this month (4)"
        self.query_one("#alerts-pane").border_title = "Alerts"

    def fetch(self, conn):
        return dashboard.overview(conn, self.app.cfg, self.app.now())

    def show(self, o: dashboard.Overview) -> None:
        self.query_one("#summary", Static).update(self._summary(o))
        self.query_one("#budgets", Static).update(
            Text("\n").join(budget_text(b) for b in o.budgets))
        self.query_one(TrendChart).set_series(o.trend)
        self.query_one("#regressions", LiveTable).sync(
            [(f"r{i}", regression_cells(r, i)) for i, r in enumerate(o.regressions)])
        self.query_one("#spend", Static).update(self._spend(o))
        self.query_one("#alerts", LiveTable).sync([
            (f"a{a['id']}", [
                ranked("", i, 1),
                Text(str(a.get("level", "")), style="bold red" if a.get("level") == "critical" else "yellow"),
                Text(when(a["ts"])),
                cell(a.get("message", ""), 200, style="dim" if a.get("acknowledged") else ""),
            ]) for i, a in enumerate(o.alerts)
        ])
        empty = "no regressions" if not o.notes else "; ".join(o.notes)
        self.query_one("#regressions-pane").border_subtitle = "" if o.regressions else empty

    def _summary(self, o: dashboard.Overview) -> Text:
        ratio = o.judge_ratio
        t = join(
            ("evaltop ", "bold"), (f"{when(o.now, '%Y-%m-%d %H:%M')} UTC", "dim"),
            f"  window {o.window_label}  ",
            ("outputs ", "dim"), f"{o.outputs:,}", f" ({o.outputs_per_min:.1f}/min) ",
            (sparkline(o.spark_outputs), "cyan"),
            ("  judged ", "dim"), f"{o.judged:,}",
            ("  errors ", "dim"), (f"{o.errors:,}", "red" if o.errors else ""),
        )
        t.append("\n")
        for r in o.rates:
            t.append_text(cell(r.judge, 18, style="bold"))
            t.append(" ")
            t.append_text(rate_text(r.rate))
            if r.weighted is not None:
                ci = f" [{r.ci[0] * 100:.0f}–{r.ci[1] * 100:.0f}]" if r.ci else ""
                t.append(f" rw {r.weighted * 100:.1f}%{ci}", style="italic")
            t.append(f" n={r.n}  ", style="dim")
        if o.rates:
            t.append(sparkline(o.spark_pass, 0.0, 1.0), style="green")
        t.append("\n")
        t.append("judge:inference ", style="dim")
        t.append("n/a" if ratio is None else f"{ratio:.2f}:1")
        if o.unpriced_outputs:
            t.append(f"  {o.unpriced_outputs:,} outputs unpriced (see 4)", style="yellow")
        return t

    def _spend(self, o: dashboard.Overview) -> Text:
        t = Text()
        inf, judge = o.budgets[1], o.budgets[3]
        t.append("inference ", style="bold")
        t.append(format_usd(inf.spent_pusd))
        t.append(f"  → {format_usd(inf.forecast_pusd)}\n", style="italic")
        t.append("judge     ", style="bold")
        t.append(format_usd(judge.spent_pusd))
        t.append(f"  → {format_usd(judge.forecast_pusd)}\n", style="italic")
        for r in o.spend_models[:6]:
            t.append_text(cell(r["k"], 22))
            t.append(" " * max(1, 23 - len(cell(r["k"], 22).plain)))
            if r["unpriced_outputs"] and not r["cost_pusd"]:
                t.append(f"{'unpriced':>10}", style="yellow")
            else:
                t.append(f"{format_usd(r['cost_pusd']):>10}")
                t.append(f" → {format_usd(r['forecast_pusd'])}", style="dim")
            t.append(f"  {r['outputs']:,} out\n", style="dim")
        return t
