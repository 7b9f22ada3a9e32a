"""Help (`?`): every key binding, grouped by where it works."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

EXTRA = {
    "Overview": [
        ("tab", "focus the regressions, then the alerts pane (arrows scroll it)"),
        ("3 / 4", "the full Regressions / Spend screens"),
    ],
    "Tables": [("j / k, ↑ / ↓", "move"), ("g / G", "top / bottom"), ("enter", "open")],
    "Everywhere": [("ctrl+p", "command palette (every action)"),
                   ("escape", "back one level (after a drill-down: where you came from)")],
}


KEY_NAMES = {"slash": "/", "right_square_bracket": "]", "left_square_bracket": "[",
             "question_mark": "?", "pagedown": "pgdn", "pageup": "pgup"}


def _key(b: Binding) -> str:
    return ", ".join(KEY_NAMES.get(k.strip(), k.strip()) for k in b.key.split(","))


def help_text(groups: list[tuple[str, list]]) -> Text:
    t = Text()
    for title, bindings in groups:
        t.append(f"{title}\n", style="bold underline")
        rows = [
            (_key(b), b.description) for b in bindings if isinstance(b, Binding) and b.description
        ]
        rows += EXTRA.get(title, [])
        for key, desc in rows:
            t.append(f"  {key:<16}", style="bold cyan")
            t.append(f"{desc}\n")
        t.append("\n")
    t.append("Filter and search (Cases, /): ", style="bold")
    t.append('words  "a phrase"  refund NOT shipped  a OR b  prefix*  (full-text search with '
             "[store] search = true)  model:NAME  task:NAME  judge:NAME  prompt:VERSION  "
             "variant:NAME  since:24h  sort:newest|oldest|model|task\n")
    return t


class HelpScreen(ModalScreen):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def __init__(self, groups: list[tuple[str, list]]):
        super().__init__()
        self.groups = groups

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static(help_text(self.groups))

    def on_mount(self) -> None:
        self.query_one("#help").border_title = "evaltop keys (escape closes)"

    def action_dismiss(self) -> None:
        self.dismiss()
