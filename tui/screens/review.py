"""Review queue (`5`): sampled cases without a human label, oldest first.
One key each: `a` pass, `r` fail, `s` skip; judge-human agreement on top."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Static

from evaltop.core.views import cases as dc
from evaltop.core.views import dashboard
from evaltop.core.views.cases import CaseFilter
from evaltop.tui.format import as_of_text, when
from evaltop.tui.screens.base import DataScreen
from evaltop.tui.screens.case_detail import CaseDetailScreen
from evaltop.tui.widgets.case_text import render_detail
from evaltop.tui.widgets.live_table import FILL, LiveTable
from evaltop.tui.widgets.safe_text import cell, join, ranked


def agreement_text(r: dashboard.Review) -> Text:
    t = Text("judge-human agreement: ", style="bold")
    if r.note:
        t.append(r.note, style="dim")
    elif not r.agreement:
        t.append("no labelled outputs yet", style="dim")
    for judge, a in sorted(r.agreement.items()):
        t.append_text(cell(judge, 20, style="bold"))
        kappa = a.get("kappa") if isinstance(a, dict) else None
        n = a.get("n") if isinstance(a, dict) else None
        agree = a.get("agreement") if isinstance(a, dict) else None
        t.append(" κ=" + ("n/a" if kappa is None else f"{kappa:.2f}"))
        if agree is not None:
            t.append(f" agree {agree * 100:.0f}%")
        t.append(f" n={n if n is not None else '?'}  ", style="dim")
    return t


class ReviewScreen(DataScreen):
    TITLE = "Review"
    BINDINGS = [
        Binding("a", "label('pass')", "Pass"),
        Binding("r", "label('fail')", "Fail"),
        Binding("s", "skip", "Skip"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._rows: dict[str, dict] = {}
        self._skipped: set[str] = set()
        self._preview_id: str | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="status", classes="topbar")
        # model and task as wide as they are (fit), the output the rest
        yield LiveTable([("time", "output time", 11), ("model", "model", FILL),
                         ("task", "task", FILL), ("output", "output", FILL)], id="queue")
        with VerticalScroll(id="preview"):
            yield Static(id="preview-body")
        yield Footer()

    def fetch(self, conn):
        # agreement as of the engine's last analysis when recent, else computed (and kept)
        return dashboard.review(conn, cfg=self.app.cfg, now=self.app.now(),
                                db_path=None if self.app.readonly else self.app.db_path)

    def show(self, review: dashboard.Review) -> None:
        rows = [r for r in review.queue if r["id"] not in self._skipped]
        self._rows = {r["id"]: r for r in rows}
        table = self.query_one(LiveTable)
        models = [cell(r["model"], 24) for r in rows]
        tasks = [cell(r["task"], 24) for r in rows]
        table.fit({"model": max((len(t) for t in models), default=5),
                   "task": max((len(t) for t in tasks), default=4)})
        table.sync([
            (r["id"], [ranked(when(r["ts"]), i, 11), models[i], tasks[i],
                       cell(r.get("head", ""), 120)])
            for i, r in enumerate(rows)])
        total = review.total if review.total is not None else len(rows)
        status = join(("Review ", "bold"), f"{total:,} unlabelled sampled cases, oldest first  ",
                      agreement_text(review))
        as_of = as_of_text(review.agreement_as_of, self.app.now())
        if as_of:
            status.append("  agreement " + as_of, style="dim")
        self.query_one("#status", Static).update(status)
        self._load_preview(table.current_key)

    @on(LiveTable.RowHighlighted)
    def _highlighted(self, event: LiveTable.RowHighlighted) -> None:
        key = str(event.row_key.value) if event.row_key is not None else None
        if key != self._preview_id:
            self._load_preview(key)

    @work(thread=True, exclusive=True, exit_on_error=False, group="preview")
    def _load_preview(self, output_id: str | None) -> None:
        detail = None
        if output_id is not None:
            with self.app.reader() as conn:
                detail = dc.detail(conn, output_id)
        self.app.call_from_thread(self._preview, detail)

    def _preview(self, detail: dc.CaseDetail | None) -> None:
        body = self.query_one("#preview-body", Static)
        if detail is None:
            self._preview_id = None
            body.update(Text("nothing to review", style="dim"))
            return
        self._preview_id = detail.id
        sections = render_detail(detail)
        keep = [s for s in sections if s[0] in ("Input", "Output", "Scores")]
        out = Text()
        for name, text in keep:
            out.append(f"── {name} ──\n", style="bold")
            out.append_text(text)
            out.append("\n")
        body.update(out)

    def _current(self) -> str | None:
        return self.query_one(LiveTable).current_key

    def action_label(self, label: str) -> None:
        oid = self._current()
        if oid is not None:
            self.request_label(oid, label)

    def action_skip(self) -> None:
        oid = self._current()
        if oid is not None:
            self._skipped.add(oid)
            self.reload()

    @on(LiveTable.RowSelected)
    def _open(self, event: LiveTable.RowSelected) -> None:
        r = self._rows.get(str(event.row_key.value))
        if r is not None:
            row = {"id": r["id"], "row_key": r["id"]}
            self.app.push_screen(CaseDetailScreen(CaseFilter(failing=False), row))
