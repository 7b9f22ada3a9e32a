"""Cases (`2`): failing verdicts (or all outputs) one page at a time, with a
filter, sort orders and keyset paging; `enter` opens the case. `/` searches:
the box's words are a full-text search (docs/search.md) combined with its
``key:value`` filters."""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Input, Static

from evaltop.core.text import sanitize
from evaltop.core.views import cases as dc
from evaltop.core.views.cases import SORTS, CaseFilter
from evaltop.tui.format import when
from evaltop.tui.screens.base import DataScreen
from evaltop.tui.screens.case_detail import CaseDetailScreen
from evaltop.tui.widgets.live_table import FILL, LiveTable
from evaltop.tui.widgets.safe_text import cell, join, line, ranked, shown

COLUMNS = [("time", "time", 11), ("model", "model", 18), ("task", "task", 12),
           ("judge", "judge", 14), ("score", "score", 5), ("output", "output (first line)", FILL)]
NARROW = [("time", "time", 11), ("model", "model", 12), ("task", "task", 8), ("judge", "judge", 10),
          ("score", "sc", 3), ("output", "output", FILL)]


def case_cells(r: dict, rank: int) -> list[Text]:
    passed = r.get("passed")
    if r.get("status") == "error":
        score = Text("err", style="yellow")
    elif r.get("judge") is None:
        score = Text("-", style="dim")
    else:
        s = r.get("score")
        score = Text("-" if s is None else f"{s:g}", style="red" if passed == 0 else "green")
    head = r.get("head") or ""
    if r.get("error"):
        head = f"ERROR {r['error']}"
    return [
        ranked(when(r["ts"]), rank, 11),
        cell(r.get("model"), 18),
        cell(r.get("task"), 12),
        cell(r.get("judge") or "", 14),
        score,
        cell(head, 120, style="red" if r.get("error") else ""),
    ]


def case_detail_line(r: dict) -> Text:
    """``model / task  judge: verdict (score): reason  output...`` (wraps)."""
    t = join(cell(r.get("model"), 60, style="bold"), " / ", cell(r.get("task"), 60, style="bold"))
    if r.get("judge"):
        failed = r.get("passed") == 0
        t.append("  ")
        t.append_text(cell(r["judge"], 60))
        verdict = "error" if r.get("status") == "error" else ("fail" if failed else "pass")
        score = r.get("score")
        t.append(f" {verdict}" + ("" if score is None else f" ({score:g})"),
                 style="red" if failed or verdict == "error" else "green")
        if r.get("reason"):
            t.append(": ")
            t.append(line(r["reason"], 200), style="yellow")
    if r.get("error"):
        t.append("  ERROR ", style="red")
        t.append(line(r["error"], 200), style="red")
    t.append("  ")
    head = " ".join(sanitize.clean(shown(r.get("head") or "")).split())  # every line, not the first
    t.append(head[:400], style="dim")
    return t


class CasesScreen(DataScreen):
    TITLE = "Cases"
    AUTO_FOCUS = "#cases"
    BINDINGS = [
        Binding("slash", "filter", "Search"),
        Binding("f", "toggle_failing", "Failing/all"),
        Binding("s", "cycle_sort", "Sort"),
        Binding("right_square_bracket", "next_page", "Next page"),
        Binding("left_square_bracket", "prev_page", "Prev page"),
        Binding("escape", "back", "Back / clear filter", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.filter = CaseFilter()
        self.filter_text = ""
        self._page_start: tuple | None = None  # keyset the current page starts after
        self._history: list[tuple | None] = []  # starts of earlier pages
        self._rows: dict[str, dict] = {}
        self._order: list[str] = []
        self._fresh = True  # next show() is a new list (filter/page), not a tick
        self.last_viewed: str | None = None
        self._note: str | None = None  # why the words were not searched as typed
        self._resume: tuple | None = None  # where `]` goes on when a search page ran out of time

    def compose(self) -> ComposeResult:
        yield Static(id="status", classes="topbar")
        yield Input(
            placeholder='search: words "a phrase" NOT OR  filter: model:NAME task:NAME '
                        "judge:NAME since:24h sort:newest",
            id="filter",
            classes="hidden",
        )
        yield LiveTable(NARROW if self.app.size.width < 120 else COLUMNS, id="cases")
        yield Static(id="detail-line", classes="detail-line")
        yield Footer()

    # -- data
    def fetch(self, conn):
        return dc.page(conn, self.filter, after=self._page_start)

    def show(self, rows: list[dict]) -> None:
        table = self.query_one(LiveTable)
        fresh, self._fresh = self._fresh, False
        if fresh:
            table.reset()
        self._rows = {r["row_key"]: r for r in rows}
        self._order = [r["row_key"] for r in rows]
        table.sync(
            [(r["row_key"], case_cells(r, i)) for i, r in enumerate(rows)], keep_cursor=not fresh
        )
        if self.last_viewed in self._rows:
            table.move_cursor(row=table.get_row_index(self.last_viewed), animate=False)
            table.user_moved = True  # the case the user opened stays chosen across ticks
        self._note = getattr(rows, "note", None)
        self._resume = getattr(rows, "resume", None)  # a search page that ran out of time
        self._status(len(rows))
        self._show_detail()

    def _show_detail(self) -> None:
        """The highlighted case under the table: its verdict, the reason and
        as much of the output as three lines hold (the column cuts it)."""
        r = self._rows.get(self.query_one(LiveTable).current_key or "")
        self.query_one("#detail-line", Static).update(Text() if r is None else case_detail_line(r))

    @on(LiveTable.RowHighlighted, "#cases")
    def _highlighted(self, event: LiveTable.RowHighlighted) -> None:
        self._show_detail()

    def _status(self, n: int) -> None:
        f = self.filter
        page = len(self._history) + 1
        t = join(("Cases ", "bold"), ("failing verdicts" if f.failing else "all outputs", "cyan"),
                 ("  sort ", "dim"), f.sort, ("  page ", "dim"), f"{page}", f" ({n} rows)")
        if self.filter_text:
            t.append("  filter ", style="dim")
            t.append_text(cell(self.filter_text, 60, style="bold"))
        if self._note:  # "index building: 40%" or substring match with search off
            t.append(f"  {self._note}", style="yellow")
        if n == 0 and self._resume is None and not (self._note or "").startswith(
                "index building"):  # not "no match"
            t.append(
                "  nothing matches" + (" (f shows all outputs)" if f.failing else ""),
                style="yellow",
            )
        self.query_one("#status", Static).update(t)

    def _new_list(self) -> None:
        self._page_start, self._history, self._fresh = None, [], True
        self._load()

    def _load(self) -> None:
        """Fetch the list the user asked for; a search says it is searching
        until its page arrives (a prefix such as `summar*` reads every word
        it starts: ~50-150 ms at 1M outputs)."""
        if self.filter.search:
            self._note = "searching..."
            self._status(len(self._order))
        self.reload()

    # -- used by other screens
    def apply_filter(self, f: CaseFilter, text: str | None = None) -> None:
        self.filter = f
        self.filter_text = dc.describe_filter(f) if text is None else text
        self.query_one("#filter", Input).value = sanitize.clean(self.filter_text).replace("\n", " ")
        self._new_list()

    def row(self, key: str) -> dict | None:
        return self._rows.get(key)

    # -- actions
    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.remove_class("hidden")
        box.focus()

    @on(Input.Submitted, "#filter")
    def _submitted(self, event: Input.Submitted) -> None:
        try:
            f = dc.parse_filter(event.value, self.app.now(), failing=self.filter.failing)
        except ValueError as exc:
            self.app.notify(str(exc), severity="error", markup=False)
            return
        self.filter_text = event.value.strip()
        self.filter = f
        self.query_one("#filter", Input).add_class("hidden")
        self.query_one(LiveTable).focus()
        self._new_list()

    def action_back(self) -> None:
        """Close the filter box; else back to the screen a drill-down came
        from (Regressions, ...); else clear the filter."""
        box = self.query_one("#filter", Input)
        if not box.has_class("hidden"):
            box.add_class("hidden")
            self.query_one(LiveTable).focus()
        elif self.app.cases_from:
            mode, self.app.cases_from = self.app.cases_from, None
            self.app.switch_mode(mode)
        elif self.filter_text:
            self.apply_filter(CaseFilter(failing=self.filter.failing, sort=self.filter.sort), "")

    def action_toggle_failing(self) -> None:
        self.filter = replace(self.filter, failing=not self.filter.failing)
        self._new_list()

    def action_cycle_sort(self) -> None:
        self.filter = replace(
            self.filter, sort=SORTS[(SORTS.index(self.filter.sort) + 1) % len(SORTS)]
        )
        self._new_list()

    def action_next_page(self) -> None:
        start = self._resume or (self._rows[self._order[-1]]["key"]
                                 if len(self._order) >= dc.PAGE else None)
        if start is None:
            self.app.notify("last page", timeout=2)
            return
        self._history.append(self._page_start)
        self._page_start = start
        self._fresh = True
        self._load()

    def action_prev_page(self) -> None:
        if not self._history:
            return
        self._page_start = self._history.pop()
        self._fresh = True
        self._load()

    @on(LiveTable.RowSelected, "#cases")
    def _open(self, event: LiveTable.RowSelected) -> None:
        r = self._rows.get(str(event.row_key.value))
        if r is not None:
            self.last_viewed = r["row_key"]
            self.app.push_screen(CaseDetailScreen(self.filter, r, on_move=self._moved))

    def _moved(self, row: dict) -> None:
        self.last_viewed = row["row_key"]

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        table = self.query_one(LiveTable)
        if self.last_viewed in self._rows:
            table.move_cursor(row=table.get_row_index(self.last_viewed), animate=False)
