"""Shadow (`6`): the candidate model answering a sample of live inputs off the
critical path, compared case by case with what production answered.

Per judge: paired pass rates, flips, McNemar and Wilcoxon p; below, the cases
that flipped (pass->fail first). `enter` opens the live case.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import Footer, Static

from evaltop.core.views.cases import CaseFilter
from evaltop.tui.screens.base import DataScreen
from evaltop.tui.screens.case_detail import CaseDetailScreen
from evaltop.tui.widgets.live_table import FILL, LiveTable
from evaltop.tui.widgets.safe_text import cell, join

JUDGE_COLUMNS = [("judge", "judge", 16), ("n", "n", 5), ("a", "live", 7), ("b", "cand.", 7),
                 ("pf", "p→f", 4), ("fp", "f→p", 4), ("p", "McNemar p", 9), ("wtl", "W/T/L", 10),
                 ("wp", "Wilcoxon p", 10)]
FLIP_COLUMNS = [("dir", "", 7), ("task", "task", 16), ("judges", "failed on", 18),
                ("a", "live output", FILL), ("b", "candidate output", FILL)]
OFF = ("Shadow mode is off. To compare a candidate on live traffic, add [models.NAME] and "
       "[shadow] enabled = true, candidate = \"NAME\", rate = 0.05 to the config; "
       "`evaltop run` (or this dashboard, when it runs the jobs) then sends a sample "
       "of live inputs to the candidate and judges both answers.")


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def _p(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.4f}"


def judge_cells(name: str, s: dict) -> list[Text]:
    worse = s.get("pass_to_fail", 0) > s.get("fail_to_pass", 0)
    style = "red" if worse and (s.get("mcnemar_p") or 1) < 0.05 else ""
    wtl = f"{s['wins']}/{s['ties']}/{s['losses']}" if "wins" in s else "-"
    return [
        cell(name, 16),
        Text(str(s.get("n", 0))),
        Text(_pct(s.get("pass_rate_a"))),
        Text(_pct(s.get("pass_rate_b")), style=style),
        Text(str(s.get("pass_to_fail", 0)), style=style),
        Text(str(s.get("fail_to_pass", 0))),
        Text(_p(s.get("mcnemar_p")), style=style),
        Text(wtl),
        Text(_p(s.get("wilcoxon_p")) if "wilcoxon_p" in s else "-"),
    ]


def flip_cells(f: dict) -> list[Text]:
    worse = f.get("direction") == "pass_to_fail"
    return [Text("▼ broke" if worse else "▲ fixed", style="bold red" if worse else "green"),
            cell(f.get("task", ""), 16), cell(", ".join(f.get("judges", [])), 18),
            cell(f.get("a_output", ""), 60), cell(f.get("b_output", ""), 60)]


class ShadowScreen(DataScreen):
    TITLE = "Shadow"
    refresh_every = 5.0  # a paired comparison over every shadowed case

    def compose(self) -> ComposeResult:
        yield Static(id="status", classes="topbar")
        yield LiveTable(JUDGE_COLUMNS, id="shadow-judges")
        yield Static(id="flips-title", classes="topbar")
        yield LiveTable(FLIP_COLUMNS, id="shadow-flips")
        yield Footer()

    def fetch(self, conn):
        if not self.app.cfg.shadow.candidate:
            return None
        # on the fetch worker: the paired tests and the candidate client load
        # here, the first time shadow mode is shown, not at start-up
        from evaltop.core.rollout.shadow import shadow_summary

        return shadow_summary(conn, self.app.cfg)

    def show(self, s: dict | None) -> None:
        status = self.query_one("#status", Static)
        judges = self.query_one("#shadow-judges", LiveTable)
        flips = self.query_one("#shadow-flips", LiveTable)
        if not s:
            status.update(Text(OFF))
            judges.sync([])
            flips.sync([])
            self.query_one("#flips-title", Static).update("")
            return
        o = s.get("overall", {})
        verdict = (
            ("significant regression", "bold red")
            if s.get("regression")
            else ("no significant regression", "green")
        )
        state = "" if s.get("enabled") else "  (shadow paused: [shadow] enabled = false)"
        status.update(
            join(
                ("Shadow ", "bold"),
                cell(s.get("candidate", ""), 40),
                f" vs live  rate {s.get('rate', 0):g}",
                f"  paired {s.get('cases', {}).get('paired', 0)}",
                f"  pass {_pct(o.get('pass_rate_a'))} → {_pct(o.get('pass_rate_b'))}",
                f"  broke {o.get('pass_to_fail', 0)} fixed {o.get('fail_to_pass', 0)}",
                f"  McNemar p {_p(o.get('mcnemar_p'))}  ",
                verdict,
                (state, "yellow"),
            )
        )
        judges.sync(
            [(name, judge_cells(name, st)) for name, st in sorted(s.get("judges", {}).items())]
        )
        rows = s.get("flipped", [])
        self.query_one("#flips-title", Static).update(
            join(
                ("Flipped cases ", "bold"),
                f"{len(rows)} shown, pass→fail first; enter opens the live case",
            )
        )
        flips.sync([(f["case_id"], flip_cells(f)) for f in rows])

    @on(LiveTable.RowSelected, "#shadow-flips")
    def _open(self, event: LiveTable.RowSelected) -> None:
        oid = str(event.row_key.value)
        self.app.push_screen(
            CaseDetailScreen(CaseFilter(failing=False), {"id": oid, "row_key": oid})
        )
