"""Spend (`4`): inference and judge spend by model, day, kind and judge, budget
bars with forecasts, and the models that have no price."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.widgets import Footer, Static

from evaltop.core.model.money import format_usd
from evaltop.core.views import dashboard
from evaltop.tui.screens.base import DataScreen
from evaltop.tui.widgets.budget_bar import budget_text
from evaltop.tui.widgets.live_table import LiveTable
from evaltop.tui.widgets.safe_text import cell, join, ranked


def money(pusd: int | None, unpriced: int = 0) -> Text:
    t = Text(format_usd(pusd), style="yellow" if pusd is None else "")
    if unpriced:
        t.append(f" +{unpriced} unpriced", style="yellow")
    return t


def unconfirmed(pusd: int | None, attempts: int | None) -> Text:
    """Spend that may have been billed (attempts cut off after sending)."""
    if not attempts:
        return Text("-", style="dim")
    return Text(f"{format_usd(pusd or 0)} ({attempts:,})", style="yellow")


class SpendScreen(DataScreen):
    TITLE = "Spend"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]

    def compose(self) -> ComposeResult:
        yield Static(id="status", classes="topbar")
        yield Static(id="budgets")
        with Grid(id="spend-grid"):
            with Vertical(classes="pane", id="by-model-pane"):
                yield LiveTable(
                    [("model", "model", None), ("outputs", "outputs", 9), ("cost", "cost", 22)],
                    id="by-model",
                    cursor_type="none",
                )
            with Vertical(classes="pane", id="by-day-pane"):
                yield LiveTable([("day", "day (UTC)", 10), ("inference", "inference", 24),
                                 ("judge", "judge", 12), ("calls", "judge calls", 11)],
                                id="by-day", cursor_type="none")
            with Vertical(classes="pane", id="by-kind-pane"):
                yield LiveTable([("kind", "kind", 10), ("count", "count", 9), ("cost", "cost", 22)],
                                id="by-kind", cursor_type="none")
            with Vertical(classes="pane", id="by-judge-pane"):
                yield LiveTable(
                    [
                        ("judge", "judge", None),
                        ("calls", "calls", 7),
                        ("cost", "confirmed", 12),
                        ("unconfirmed", "unconfirmed", 16),
                    ],
                    id="by-judge",
                    cursor_type="none",
                )
        yield Footer()

    def on_mount(self) -> None:
        for pid, title in (("by-model", "Inference by model"), ("by-day", "By day"),
                           ("by-kind", "By kind"), ("by-judge", "Judge spend by judge")):
            self.query_one(f"#{pid}-pane").border_title = title

    def fetch(self, conn):
        return dashboard.spend(conn, self.app.cfg, self.app.now())

    def show(self, s: dashboard.Spend) -> None:
        status = join(("Spend ", "bold"), "last 30 days (UTC)")
        if s.unpriced:
            status.append("  unpriced models: ", style="yellow")
            status.append_text(Text(", ").join(
                cell(u["model"], 30, style="yellow") + Text(f" ({u['outputs']:,})", style="dim")
                for u in s.unpriced))
            status.append("  (add [pricing.models.NAME] to price them)", style="dim")
        self.query_one("#status", Static).update(status)
        self.query_one("#budgets", Static).update(
            Text("\n").join(budget_text(b) for b in s.budgets)
        )
        self.query_one("#by-model", LiveTable).sync(
            [
                (
                    f"m{r['k']}",
                    [
                        ranked(r["k"], i, 40),
                        Text(f"{r['outputs']:,}"),
                        money(
                            r["cost_pusd"] if not (r["unpriced_outputs"] == r["outputs"]) else None,
                            r["unpriced_outputs"] if r["unpriced_outputs"] != r["outputs"] else 0,
                        ),
                    ],
                )
                for i, r in enumerate(s.by_model)
            ]
        )
        self.query_one("#by-day", LiveTable).sync([
            (f"d{r['day']}", [ranked(r["day"], i, 10), money(r["inference_pusd"], r["unpriced"]),
                              money(r["judge_pusd"]), Text(f"{r['judge_calls']:,}")])
            for i, r in enumerate(s.by_day)])
        self.query_one("#by-kind", LiveTable).sync([
            (f"k{r['kind']}", [ranked(r["kind"], i, 10), Text(f"{r['count']:,}"),
                               _kind_cost(r)])
            for i, r in enumerate(s.by_kind)])
        self.query_one("#by-judge", LiveTable).sync(
            [
                (
                    f"j{r['k']}",
                    [
                        ranked(r["k"], i, 30),
                        Text(f"{r['calls']:,}"),
                        money(r["cost_pusd"]),
                        unconfirmed(r["unconfirmed_pusd"], r["unconfirmed_attempts"]),
                    ],
                )
                for i, r in enumerate(s.by_judge)
            ]
        )


def _kind_cost(r: dict) -> Text:
    t = money(r["cost_pusd"], r["unpriced"])
    if r.get("unconfirmed_calls"):
        t.append(f" +{format_usd(r['unconfirmed_pusd'])} unconfirmed", style="yellow")
    return t
