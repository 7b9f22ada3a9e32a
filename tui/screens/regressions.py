"""Regressions (`3`): every compared segment, baseline vs current window,
sortable; `enter` opens Cases filtered to the segment and judge."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Static

from evaltop.core.views import cases as dc
from evaltop.core.views import dashboard
from evaltop.tui.screens.base import DataScreen
from evaltop.tui.screens.overview import as_of_text, metric_value, segment_text
from evaltop.tui.widgets.live_table import LiveTable
from evaltop.tui.widgets.safe_text import cell, join, ranked

SORTS = {
    "significance": lambda r: (not r.get("significant"), r.get("p") if r.get("p") is not None else 1.0),
    "delta": lambda r: r.get("delta") if r.get("delta") is not None else 0.0,
    "n": lambda r: -(r.get("n_current") or 0),
    "segment": lambda r: segment_text(r.get("segment") or {}, 200).plain,
}


COLUMNS = [("flag", "", 12), ("segment", "segment (task / model / prompt / variant)", None),
           ("judge", "judge", 18), ("metric", "metric", 10), ("base", "baseline", 8),
           ("cur", "current", 8), ("delta", "Δ", 7), ("n", "n b/c", 9), ("p", "p", 7), ("q", "q", 7)]
NARROW = [("flag", "", 3), ("segment", "segment", 20), ("judge", "judge", 10), ("base", "base", 6),
          ("cur", "now", 6), ("delta", "Δ", 6), ("n", "n b/c", 5), ("q", "q", 5)]


def row_cells(r: dict, rank: int) -> list[Text]:
    delta, p, q = r.get("delta"), r.get("p"), r.get("q")
    bad = bool(r.get("significant")) and (delta or 0) < 0
    style = "bold red" if bad else ("green" if r.get("significant") else "")
    base, cur = r.get("baseline"), r.get("current")
    if r.get("insufficient"):
        flag = "· few data"
    elif r.get("significant"):
        flag = "▼ REGRESSED" if bad else "▲ improved"
    else:
        flag = ""
    return [
        ranked(flag, rank, 12, style=style or "dim"),
        segment_text(r.get("segment") or {}, 60),
        cell(r.get("judge", ""), 18),
        cell(r.get("metric", ""), 10),
        Text(metric_value(r, base)),
        Text(metric_value(r, cur)),
        Text(metric_value(r, delta, delta=True), style=style),
        Text(f"{r.get('n_baseline', 0)}/{r.get('n_current', 0)}"),
        Text("n/a" if p is None else f"{p:.4f}", style=style),
        Text("n/a" if q is None else f"{q:.4f}"),
    ]


class RegressionsScreen(DataScreen):
    TITLE = "Regressions"
    refresh_every = 5.0  # regressions come from the analysis cache, recomputed when stale
    BINDINGS = [Binding("s", "cycle_sort", "Sort")]

    def __init__(self) -> None:
        super().__init__()
        self.sort = "significance"
        self._rows: list[dict] = []
        self._notes: list[str] = []
        self._as_of = ""

    def compose(self) -> ComposeResult:
        yield Static(id="status", classes="topbar")
        self._columns = NARROW if self.app.size.width < 120 else COLUMNS
        yield LiveTable(self._columns, id="regressions")
        yield Footer()

    def fetch(self, conn):
        notes: list[str] = []
        now = self.app.now()  # as of the engine's last analysis when recent, else computed (and kept)
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
        t = join(("Regressions ", "bold"), f"current {cfg.since} vs baseline {cfg.baseline} before it",
                 ("  sort ", "dim"), self.sort, f"  {len(rows)} segments")
        if self._as_of:
            t.append("  " + self._as_of, style="dim")
        sig = sum(1 for r in rows if r.get("significant") and (r.get("delta") or 0) < 0)
        if sig:
            t.append(f"  {sig} significant regressions", style="bold red")
        for note in self._notes:
            t.append("  " + note, style="yellow")
        self.query_one("#status", Static).update(t)

    @staticmethod
    def _key(r: dict) -> str:
        seg = r.get("segment") or {}
        return "\x1f".join(str(seg.get(k)) for k in ("task", "model", "prompt_version", "variant")) + \
            "\x1f" + str(r.get("judge")) + "\x1f" + str(r.get("metric"))

    def action_cycle_sort(self) -> None:
        names = list(SORTS)
        self.sort = names[(names.index(self.sort) + 1) % len(names)]
        self._redraw()

    @on(LiveTable.RowSelected)
    def _open(self, event: LiveTable.RowSelected) -> None:
        key = str(event.row_key.value)
        for r in self._rows:
            if self._key(r) == key:
                self.app.open_cases(dc.segment_filter(r.get("segment") or {}, r.get("judge")))
                return
