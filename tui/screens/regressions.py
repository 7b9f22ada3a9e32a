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
from evaltop.tui.format import (
    as_of_text,
    e_text,
    flag_text,
    identity_needs,
    metric_value,
    regression_detail,
    segment_parts,
    segment_text,
    short_value,
)
from evaltop.tui.screens.base import DataScreen
from evaltop.tui.widgets.live_table import FILL, LiveTable
from evaltop.tui.widgets.safe_text import cell, join, ranked

SORTS = {  # the rows arrive in the analysis's order (regressions.ranked); sorts are stable
    "significance": lambda r: (not r.significant, r.p if r.p is not None else 1.0),
    "delta": lambda r: r.delta if r.delta is not None else 0.0,
    "n": lambda r: -r.n_current,
    "segment": lambda r: segment_text(r.segment, 200).plain,
}

# What identifies a row comes first (model, task; the judge and the prompt /
# variant after them) and takes the width the numbers leave, model and task
# first; the detail line under the table shows the highlighted row whole.
COLUMNS = [("flag", "", 11), ("model", "model", FILL), ("task", "task", FILL),
           ("judge", "judge", FILL), ("pv", "prompt / variant", FILL), ("metric", "metric", 9),
           ("base", "baseline", 8), ("cur", "current", 8), ("delta", "Δ", 6),
           ("n", "n b/c", 9), ("finds", "finds", 5), ("e", "e", 6), ("p", "p", 6),
           ("q", "q", 6)]
MEDIUM = [("model", "model", FILL), ("task", "task", FILL), ("judge", "judge", FILL),
          ("pv", "prompt", FILL), ("delta", "Δ", 5), ("cur", "now", 4), ("n", "n", 4),
          ("finds", "finds", 5), ("e", "e", 5)]
NARROW = [c for c in MEDIUM if c[0] != "pv"]  # below 100 columns: the prompt on the detail line


def _finds(r: Regression, digits: int = 1) -> str:
    """The drop (points) this look would catch with 80% chance."""
    return "" if r.detectable is None else f"{r.detectable * 100:.{digits}f}"


def row_cells(r: Regression, rank: int, narrow: bool = False) -> dict[str, Text]:
    """Every column's cell by key (a layout picks the ones it shows). Narrow:
    the verdict is the Δ's arrow, the numbers without decimals."""
    symbol, word, style = flag_text(r)
    model, task, pv = segment_parts(r.segment)
    value = short_value if narrow else metric_value
    delta = value(r, r.delta, delta=True)
    return {
        "flag": Text(f"{symbol} {word}".strip(), style=style or "dim"),
        "model": cell(model, 60, style="dim" if r.segment.model is None else ""),
        "task": cell(task, 60, style="dim" if r.segment.task is None else ""),
        "judge": cell(r.judge, 60),
        "pv": cell(pv, 60, style="dim"),
        "metric": cell("score 2nd" if r.role == "secondary" else r.metric, 10),
        "base": Text(value(r, r.baseline)),
        "cur": Text(value(r, r.current)),
        "delta": Text(f"{symbol}{delta}" if narrow else delta, style=style),
        "n": Text(str(r.n_current) if narrow else f"{r.n_baseline}/{r.n_current}"),
        "finds": Text(_finds(r, 0 if narrow else 1), style="dim"),
        "e": Text(e_text(r), style=style),
        "p": Text("n/a" if r.p is None else f"{r.p:.4f}", style=style),
        "q": Text("n/a" if r.q is None else f"{r.q:.4f}"),
    }


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
        width = self.app.size.width
        self._columns = NARROW if width < 100 else (MEDIUM if width < 120 else COLUMNS)
        yield LiveTable(self._columns, id="regressions")
        yield Static(id="detail-line", classes="detail-line")
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
        narrow = self._columns is not COLUMNS
        keys = [k for k, _, _ in self._columns]
        table = self.query_one(LiveTable)
        table.fit(identity_needs(rows, self._columns))
        synced = []
        for i, r in enumerate(rows):
            cells = row_cells(r, i, narrow)
            first = cells[keys[0]]
            cells[keys[0]] = ranked(first.plain, i, 60, style=str(first.style))
            synced.append((self._key(r), [cells[k] for k in keys]))
        table.sync(synced)
        self._show_detail()
        cfg = self.app.cfg.analysis
        t = join(
            ("Regressions ", "bold"),
            f"current {cfg.since} vs baseline {cfg.baseline} before it",
            ("  sort ", "dim"),
            self.sort,
            f"  {len(rows)}\N{NO-BREAK SPACE}segments",  # a wrap never splits "128 / segments"
        )
        if self._as_of:
            t.append("  " + self._as_of, style="dim")
        sig = sum(1 for r in rows if r.regressed)
        if sig:
            t.append(f"  {sig}\N{NO-BREAK SPACE}significant regressions", style="bold red")
        for note in self._notes:
            t.append("  " + note, style="yellow")
        self.query_one("#status", Static).update(t)

    def _show_detail(self) -> None:
        """The highlighted row, whole, under the table."""
        key = self.query_one(LiveTable).current_key
        r = next((r for r in self._rows if self._key(r) == key), None)
        detail = self.query_one("#detail-line", Static)
        if r is None:
            detail.update(Text("no segments compared yet" if not self._rows else "", style="dim"))
        else:
            t = regression_detail(r)
            t.append("  enter: its cases", style="dim")
            detail.update(t)

    @on(LiveTable.RowHighlighted)
    def _highlighted(self, event: LiveTable.RowHighlighted) -> None:
        self._show_detail()

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
