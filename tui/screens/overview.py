"""Overview (`1`): the header numbers, budgets, score trend, top regressions,
spend per model and the alerts pane."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical, VerticalScroll
from textual.widgets import Footer, Static

from evaltop.core.analysis.regressions import Regression
from evaltop.core.model.money import format_usd
from evaltop.core.text.sanitize import one_line
from evaltop.core.views import dashboard
from evaltop.tui.format import (
    as_of_text,
    flag_text,
    identity_needs,
    segment_parts,
    short_value,
    when,
)
from evaltop.tui.screens.base import DataScreen
from evaltop.tui.widgets.budget_bar import budget_text
from evaltop.tui.widgets.charts import TrendChart, legend_text, rate_text, sparkline
from evaltop.tui.widgets.live_table import FILL, LiveTable
from evaltop.tui.widgets.safe_text import cell, join, ranked


def regression_cells(r: Regression, rank: int) -> list[Text]:
    """Overview pane row: model, task, judge (as wide as the pane allows),
    baseline → current, delta (with the verdict's arrow), n baseline/current."""
    style = "bold red" if r.regressed else ("dim" if r.insufficient else "")
    symbol = flag_text(r)[0]
    model, task, _ = segment_parts(r.segment)
    return [
        ranked(model, rank, 60, style=style),
        cell(task, 60, style=style),
        cell(r.judge, 60),
        Text(f"{short_value(r, r.baseline)}→{short_value(r, r.current)}"),
        Text(f"{symbol}{short_value(r, r.delta, delta=True)}", style=style),
        Text(f"{r.n_baseline}/{r.n_current}"),
    ]


REGRESSION_COLUMNS = [("model", "model", FILL), ("task", "task", FILL), ("judge", "judge", FILL),
                      ("bc", "base→now", 9), ("delta", "Δ", 5), ("n", "n b/c", 7)]


def alerts_text(alerts: list[dict]) -> Text:
    """Unacknowledged first; each alert on its own (wrapping) line."""
    if not alerts:
        return Text("no alerts", style="dim")
    lines = []
    for a in alerts:
        level = str(a.get("level", ""))
        style = "bold red" if level == "critical" else "yellow"
        line = join((f"{level:<8} ", style), (when(a["ts"]) + " ", "dim"),
                    cell(a.get("message", ""), 300, style="dim" if a.get("acknowledged") else ""))
        lines.append(line)
    return Text("\n").join(lines)


class OverviewScreen(DataScreen):
    TITLE = "Overview"
    refresh_every = 5.0  # budgets and trends are read on each load: not every second
    BINDINGS = [
        Binding("x", "acknowledge", "Ack alerts"),
        Binding("t", "cycle_trend", "Trend by"),
        # narrow terminals stack the panes below the header: the keys people try
        Binding("pagedown", "page('down')", "Page down: trend, regressions, spend, alerts",
                show=False, priority=True),
        Binding("pageup", "page('up')", "Page up", show=False, priority=True),
        Binding("end", "page('end')", "Bottom: the alerts pane", show=False, priority=True),
        Binding("home", "page('home')", "Top: the header", show=False, priority=True),
    ]
    trend_by = "judge"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]

    _last: dashboard.Overview | None = None
    _regression_rows: list[Regression] = []  # what the regressions pane shows

    def compose(self) -> ComposeResult:
        yield Static(id="summary", classes="topbar")
        yield Static(id="budgets")
        with Grid(id="panes"):
            with Vertical(id="trend-pane", classes="pane"):
                yield TrendChart(id="trend")
                yield Static(id="trend-legend")
            with Vertical(id="regressions-pane", classes="pane"):
                yield LiveTable(REGRESSION_COLUMNS, id="regressions", cursor_type="none")
            with Vertical(id="spend-pane", classes="pane"):
                yield Static(id="spend")
            with VerticalScroll(id="alerts-pane", classes="pane"):
                yield Static(id="alerts")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#trend-pane").border_title = "Score trend"
        # the screen's key in brackets: "(3)" read as a count
        self.query_one("#regressions-pane").border_title = "Regressions [key 3]"
        self.query_one("#spend-pane").border_title = "Spend this month [key 4]"
        self.query_one("#alerts-pane").border_title = "Alerts"

    def fetch(self, conn):
        return dashboard.overview(
            conn, self.app.cfg, self.app.now(), self.trend_by, with_regressions=False
        )

    def on_resize(self) -> None:
        if self._last is not None:
            self.query_one("#summary", Static).update(self._summary(self._last))
            self._legend(self._last)

    def _legend(self, o: dashboard.Overview) -> None:
        legend = self.query_one("#trend-legend", Static)
        legend.update(legend_text(o.trend, legend.content_region.width or self.size.width - 4))

    def show(self, o: dashboard.Overview) -> None:
        self._last = o
        self.query_one("#summary", Static).update(self._summary(o))
        self.query_one("#budgets", Static).update(
            Text("\n").join(budget_text(b) for b in o.budgets))
        chart = self.query_one(TrendChart)
        chart.title = f"pass rate % by {self.trend_by} (t: judge/model/task)"
        chart.set_series(o.trend)
        self._legend(o)
        self.query_one("#spend", Static).update(self._spend(o))
        self.query_one("#alerts", Static).update(alerts_text(o.alerts))
        # after this frame is drawn: the analysis holds the GIL for a while
        self.call_after_refresh(self._load_regressions)

    @work(thread=True, exclusive=True, exit_on_error=False, group="regressions")
    def _load_regressions(self) -> None:
        """Regressions are the slowest pane: drawn when ready, after the rest."""
        notes: list[str] = []
        now = self.app.now()
        # as of the engine's last analysis, else computed (and kept)
        with self.app.reader() as conn:
            rows, as_of = dashboard.regressions_cached(
                conn,
                self.app.cfg,
                now,
                notes,
                db_path=None if self.app.readonly else self.app.db_path,
            )
        self.app.call_from_thread(self._show_regressions, rows, notes, as_of_text(as_of, now))

    def _show_regressions(self, rows: list[Regression], notes: list[str], as_of: str = "") -> None:
        flagged = sum(1 for r in rows if r.regressed)  # of every row, before the top 8
        self.query_one("#regressions-pane").border_title = (
            f"Regressions: {flagged} flagged of {len(rows)} [key 3]" if rows
            else "Regressions [key 3]")
        rows = self._regression_rows = rows[:8]
        table = self.query_one("#regressions", LiveTable)
        table.fit(identity_needs(rows, REGRESSION_COLUMNS))
        table.sync([(f"r{i}", regression_cells(r, i)) for i, r in enumerate(rows)])
        self.query_one("#regressions-pane").border_subtitle = (
            as_of if rows else ("; ".join(notes) if notes else "no segments compared yet"))

    def _summary(self, o: dashboard.Overview) -> Text:
        ratio = o.judge_ratio
        t = join(
            ("evaltop ", "bold"), (f"{when(o.now, '%Y-%m-%d %H:%M')} UTC", "dim"),
            ("  window ", "dim"), o.window_label,
            ("  outputs ", "dim"), f"{o.outputs:,}", f" ({o.outputs_per_min:.1f}/min) ",
            (sparkline(o.spark_outputs), "cyan"),
            ("  judged ", "dim"), f"{o.judged:,}",
            ("  errors ", "dim"), (f"{o.errors:,}", "red" if o.errors else ""),
            ("  judge:inference ", "dim"), "n/a" if ratio is None else f"{ratio:.2f}:1",
        )
        open_alerts = [a for a in o.alerts if not a.get("acknowledged")]
        if open_alerts:
            critical = sum(1 for a in open_alerts if a.get("level") == "critical")
            t.append("  alerts ", style="dim")
            t.append(f"{len(open_alerts)}" + (f" ({critical} critical)" if critical else ""),
                     style="bold red" if critical else "yellow")
        else:
            t.append("  alerts ", style="dim")
            t.append("0", style="dim")
        if o.unpriced_outputs:
            t.append(f"  {o.unpriced_outputs:,} unpriced [key 4]", style="yellow")
        if self.app.engine is not None:
            t.append(f"  [{self.app.role}]", style="dim")
        if self.size.width < 120:  # the panes are stacked below the header
            t.append("  pgdn/end: panes below", style="dim")
        if o.receiver is not None:
            t.append("\n")
            t.append_text(self._receiver_line(o.receiver))
        for p in o.sources[:3]:  # what stops ingest from reading a source
            t.append("\n")
            t.append_text(join(("cannot read ", "bold red"), ("source ", "dim"), cell(p.source, 20),
                               " ", cell(p.path, 60), ": ", cell(p.reason, 60, style="red")))
        if len(o.sources) > 3:
            t.append(f"\n+{len(o.sources) - 3} more unreadable paths "
                     "(`evaltop ingest --once` lists them)", style="red")
        t.append("\npass rate 24h ", style="dim")
        t.append(sparkline(o.spark_pass, 0.0, 1.0), style="green")
        wide = self.size.width >= 120
        t.append("   raw / reweighted" + (" [95% interval]" if wide else ""), style="dim")
        entries = [self._rate_entry(r, wide) for r in o.rates]
        width = max((len(e) for e in entries), default=1)
        per_line = max(1, (self.size.width - 2) // (width + 2))
        for i, entry in enumerate(entries):
            t.append("\n" if i % per_line == 0 else "  ")
            entry.pad_right(width - len(entry))
            t.append_text(entry)
        return t

    @staticmethod
    def _receiver_line(r: dashboard.ReceiverState) -> Text:
        """``otlp <url> listening  requests N  spans A ok / I ignored / R rejected ...``"""
        state = ("listening", "green") if r.listening else ("stopped", "yellow")
        # our own listen address, not user data: cleaned, never redacted
        t = join(("otlp ", "dim"), one_line(r.url, 40), " ", state,
                 ("  requests ", "dim"), f"{r.requests:,}",
                 ("  spans ", "dim"), f"{r.spans_accepted:,} ok",
                 (f" / {r.spans_ignored:,} ignored", "dim"),
                 (f" / {r.spans_rejected:,} rejected", "red" if r.spans_rejected else "dim"))
        if r.logs:
            t.append("  logs ", style="dim")
            t.append(f"{r.logs - r.logs_ignored - r.logs_rejected:,} ok")
            if r.logs_rejected:
                t.append(f" / {r.logs_rejected:,} rejected", style="red")
        return t

    @staticmethod
    def _rate_entry(r: dashboard.JudgeRate, wide: bool) -> Text:
        """``judge  raw%  reweighted% [interval]  n=N`` (no interval when narrow)."""
        name_w = 16 if wide else 14
        name = cell(r.judge, name_w, style="bold")
        name.pad_right(name_w - len(name))
        t = join(name, " ", rate_text(r.rate))
        if r.weighted is not None:
            t.append(f" {r.weighted * 100:5.1f}%", style="italic")
            if wide and r.ci:
                t.append(f" [{r.ci[0] * 100:.0f}–{r.ci[1] * 100:.0f}]".ljust(10), style="dim")
        t.append(f" n={r.n}", style="dim")
        return t

    def action_page(self, where: str) -> None:
        {"down": self.scroll_page_down, "up": self.scroll_page_up,
         "end": self.scroll_end, "home": self.scroll_home}[where](animate=False)

    def action_cycle_trend(self) -> None:
        self.trend_by = dashboard.TREND_BY[(dashboard.TREND_BY.index(self.trend_by) + 1) % 3]
        self.reload()

    def action_acknowledge(self) -> None:
        ids = [
            a["id"] for a in (self._last.alerts if self._last else []) if not a.get("acknowledged")
        ]
        if not ids:
            self.app.notify("no unacknowledged alerts", timeout=2)
        elif self.app.readonly:
            self.app.notify("read-only dashboard: cannot acknowledge", severity="warning")
        else:
            self._ack(ids)

    @work(thread=True, exclusive=True, exit_on_error=False, group="write")
    def _ack(self, ids: list[int]) -> None:
        n = dashboard.acknowledge_alerts(self.app.db_path, ids)
        self.app.call_from_thread(self.app.notify, f"acknowledged {n} alert(s)", timeout=2)
        self.app.call_from_thread(self.reload)

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
