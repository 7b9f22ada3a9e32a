"""Regressions (`3`): every compared segment, baseline vs current window,
sortable; `enter` opens Cases filtered to the segment and judge.

A segment is flagged only by the sequential test (its mark holds however
often the screen refreshes); `finds` is the pass-rate drop, in points, the
data in hand would catch with 80% chance; `e` the test's evidence (20 or
more is one finding at alpha 0.05). A mean score is secondary ("score 2nd"):
shown, never flagged. docs/analysis.md explains each figure."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Static

from evaltop.core.analysis.regressions import Regression
from evaltop.core.views import cases as dc
from evaltop.core.views import dashboard
from evaltop.tui.format import as_of_text, metric_value, segment_text
from evaltop.tui.screens.base import DataScreen
from evaltop.tui.widgets.live_table import LiveTable
from evaltop.tui.widgets.safe_text import cell, join, ranked

SORTS = {  # the rows arrive in the analysis's order (regressions.ranked); sorts are stable
    "significance": lambda r: (not r.significant, r.p if r.p is not None else 1.0),
    "delta": lambda r: r.delta if r.delta is not None else 0.0,
    "n": lambda r: -r.n_current,
    "segment": lambda r: segment_text(r.segment, 200).plain,
}


COLUMNS = [("flag", "", 12), ("segment", "segment (task / model / prompt / variant)", None),
           ("judge", "judge", 18), ("metric", "metric", 10), ("base", "baseline", 8),
           ("cur", "current", 8), ("delta", "Δ", 7), ("n", "n b/c", 9), ("finds", "finds", 6),
           ("e", "e", 8), ("p", "p", 7), ("q", "q", 7)]
NARROW = [("flag", "", 3), ("segment", "segment", 16), ("judge", "judge", 10), ("base", "base", 6),
          ("cur", "now", 6), ("delta", "Δ", 6), ("n", "n b/c", 5), ("finds", "finds", 5),
          ("q", "q", 5)]


def _finds(r: Regression) -> str:
    """The drop (points) this look would catch with 80% chance."""
    return "" if r.detectable is None else f"{r.detectable * 100:.1f}"


def _e(r: Regression) -> str:
    if r.e is None:
        return ""
    return f"{r.e:.3g}" if r.e < 1e6 else f"{r.e:.0e}"


def row_cells(r: Regression, rank: int) -> list[Text]:
    style = "bold red" if r.regressed else ("green" if r.significant else "")
    if r.insufficient:
        flag = "· few data"
    elif r.significant:
        flag = "▼ REGRESSED" if r.regressed else "▲ improved"
    else:
        flag = ""
    return [
        ranked(flag, rank, 12, style=style or "dim"),
        segment_text(r.segment, 60),
        cell(r.judge, 18),
        cell("score 2nd" if r.role == "secondary" else r.metric, 10),
        Text(metric_value(r, r.baseline)),
        Text(metric_value(r, r.current)),
        Text(metric_value(r, r.delta, delta=True), style=style),
        Text(f"{r.n_baseline}/{r.n_current}"),
        Text(_finds(r), style="dim"),
        Text(_e(r), style=style),
        Text("n/a" if r.p is None else f"{r.p:.4f}", style=style),
        Text("n/a" if r.q is None else f"{r.q:.4f}"),
    ]


class RegressionsScreen(DataScreen):
    TITLE = "Regressions"
    refresh_every = 5.0  # a cache miss computes the regressions: not every second
    BINDINGS = [Binding("s", "cycle_sort", "Sort")]

    def __init__(self) -> None:
        super().__init__()
        self.sort = "significance"
        self._rows: list[Regression] = []
        self._notes: list[str] = []
        self._as_of = ""

    def compose(self) -> ComposeResult:
        yield Static(id="status", classes="topbar")
        self._columns = NARROW if self.app.size.width < 120 else COLUMNS
        yield LiveTable(self._columns, id="regressions")
        yield Footer()

    def fetch(self, conn):
        notes: list[str] = []
        # as of the engine's last analysis when recent, else computed (and kept)
        now = self.app.now()
        rows, as_of = dashboard.regressions_cached(
            conn, self.app.cfg, now, notes, db_path=None if self.app.readonly else self.app.db_path)
        return rows, notes, as_of_text(as_of, now)

    def show(self, data) -> None:
        self._rows, self._notes, self._as_of = data
        self._redraw()

    def _redraw(self) -> None:
        rows = sorted(self._rows, key=SORTS[self.sort])
        keep = [i for i, c in enumerate(COLUMNS) if c[0] in {k for k, _, _ in self._columns}]
        self.query_one(LiveTable).sync(
            [(self._key(r), [row_cells(r, i)[j] for j in keep]) for i, r in enumerate(rows)])
        cfg = self.app.cfg.analysis
        t = join(
            ("Regressions ", "bold"),
            f"current {cfg.since} vs baseline {cfg.baseline} before it",
            ("  sort ", "dim"),
            self.sort,
            f"  {len(rows)} segments",
        )
        if self._as_of:
            t.append("  " + self._as_of, style="dim")
        sig = sum(1 for r in rows if r.regressed)
        if sig:
            t.append(f"  {sig} significant regressions", style="bold red")
        for note in self._notes:
            t.append("  " + note, style="yellow")
        self.query_one("#status", Static).update(t)

    @staticmethod
    def _key(r: Regression) -> str:
        return "\x1f".join([*(str(v) for v in r.segment.as_dict().values()), r.judge, r.metric])

    def action_cycle_sort(self) -> None:
        names = list(SORTS)
        self.sort = names[(names.index(self.sort) + 1) % len(names)]
        self._redraw()

    @on(LiveTable.RowSelected)
    def _open(self, event: LiveTable.RowSelected) -> None:
        key = str(event.row_key.value)
        for r in self._rows:
            if self._key(r) == key:
                self.app.open_cases(dc.segment_filter(r.segment, r.judge))
                return
