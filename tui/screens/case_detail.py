"""Case detail: everything about one output. `j`/`k` (or `n`/`p`) move to the
next/previous case of the list without going back; `a`/`r` label it pass/fail;
`c` adds it to the corpus; `y` copies it as JSON; `escape` goes back. The
Cost section shows how its cost was made, as `evaltop cost OUTPUT_ID` does."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Static

from evaltop.core.ingest.pricing import PriceBook
from evaltop.core.model.config import ConfigError
from evaltop.core.views import cases as dc
from evaltop.core.views.cases import CaseFilter
from evaltop.tui.screens.base import DataScreen
from evaltop.tui.widgets.case_text import render_detail
from evaltop.tui.widgets.safe_text import cell, join


@dataclass
class Shown:
    row: dict
    detail: dc.CaseDetail | None
    note: str = ""


class CaseDetailScreen(DataScreen):
    TITLE = "Case"
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("j,n", "step(1)", "Next"),
        Binding("k,p", "step(-1)", "Prev"),
        Binding("a", "label('pass')", "Pass"),
        Binding("r", "label('fail')", "Fail"),
        Binding("c", "corpus", "Corpus"),
        Binding("y", "copy", "Copy JSON"),
    ]

    def __init__(self, f: CaseFilter, row: dict, on_move: Callable[[dict], None] | None = None):
        super().__init__()
        self.filter = f
        self.row = row
        self.detail: dc.CaseDetail | None = None
        self._step = 0
        self._on_move = on_move
        self._book: PriceBook | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="status", classes="topbar")
        with VerticalScroll(id="detail"):
            for name in ("Case", "Input", "Output", "Scores", "Cost", "Review", "Feedback",
                         "Metadata"):
                yield Static(id=f"sec-{name.lower()}", classes="section")
        yield Footer()

    def fetch(self, conn) -> Shown:
        row, note = self.row, ""
        if "key" not in row:  # opened from a list that is not the cases list
            out = dc.detail(conn, row["id"])
            row = dict(row, key=(out.output["ts"], out.output["rowid"]) if out else (0.0, 0))
            self.row = row
        if self._step:
            nb = dc.neighbour(conn, self.filter, row["key"], self._step)
            if nb is None:
                note = "last case in the list" if self._step > 0 else "first case in the list"
            else:
                row = nb
        return Shown(row, dc.detail(conn, row["id"], self._prices()), note)

    def _prices(self) -> PriceBook | None:
        """The app's price book, built once on the fetch worker (None: the
        config's pricing is broken, which the app reports elsewhere)."""
        if self._book is None:
            try:
                self._book = PriceBook.from_config(self.app.cfg)
            except (ConfigError, OSError):
                return None
        return self._book

    def show(self, s: Shown) -> None:
        self._step = 0
        moved = s.row is not self.row
        self.row, self.detail = s.row, s.detail
        if s.note:
            self.app.notify(s.note, timeout=2)
        if moved and self._on_move:
            self._on_move(s.row)
        status = join(
            ("Case ", "bold"),
            cell(s.row["id"], 40),
            "  ",
            cell(s.row.get("judge") or "", 20, style="red" if s.row.get("passed") == 0 else ""),
        )
        self.query_one("#status", Static).update(status)
        if s.detail is None:
            self.query_one("#sec-case", Static).update(
                Text("this output is no longer in the database")
            )
            return
        for name, body in render_detail(s.detail):
            widget = self.query_one(f"#sec-{name.lower()}", Static)
            widget.border_title = name
            widget.update(body)
        if moved:
            self.query_one("#detail", VerticalScroll).scroll_home(animate=False)

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_step(self, step: int) -> None:
        self._step = step
        self.reload()

    def action_label(self, label: str) -> None:
        self.request_label(self.row["id"], label)

    def labelled(self, output_id: str, label: str) -> None:
        self.app.notify(f"labelled {label}", timeout=2)
        self.reload()

    def action_corpus(self) -> None:
        self._add_corpus(self.row["id"])

    @work(thread=True, exclusive=True, exit_on_error=False, group="write")
    def _add_corpus(self, output_id: str) -> None:
        try:
            path = dc.add_to_corpus(self.app.cfg, self.app.db_path, output_id)
        except ValueError as exc:  # CorpusError: unknown output, redaction failed
            self.app.call_from_thread(
                self.app.notify, f"not added to corpus: {exc}", severity="error", markup=False
            )
            return
        self.app.call_from_thread(self.app.notify, f"added to corpus: {path}", markup=False)

    def action_copy(self) -> None:
        if self.detail is None:
            return
        path, text = dc.save_case_json(self.detail)
        self.app.copy_to_clipboard(text)
        self.app.notify(f"copied as JSON (OSC 52) and saved to {path}", markup=False, timeout=6)
