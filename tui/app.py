"""The evaltop dashboard: a Textual app over the SQLite store.

Screens load in thread workers on their own read connections; a once-a-second
``PRAGMA data_version`` poll (re-armed only after it finishes) tells the
visible screen to reload when another connection committed. New alerts become
toasts, and a new critical alert rings the bell once.
"""

from __future__ import annotations

import asyncio
import os
import select
import signal
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from evaltop.core.model.config import Config
from evaltop.core.ops import database
from evaltop.core.views import dashboard
from evaltop.core.views.cases import CaseFilter
from evaltop.tui.screens.base import DataScreen
from evaltop.tui.screens.case_detail import CaseDetailScreen
from evaltop.tui.screens.cases import CasesScreen
from evaltop.tui.screens.help import HelpScreen
from evaltop.tui.screens.overview import OverviewScreen
from evaltop.tui.screens.regressions import RegressionsScreen
from evaltop.tui.screens.review import ReviewScreen
from evaltop.tui.screens.shadow import ShadowScreen
from evaltop.tui.screens.spend import SpendScreen
from evaltop.tui.widgets.safe_text import cell, set_redaction

FORCE_REFRESH_S = 30.0  # windows slide even when nothing is written
LOST_TERMINAL_GRACE_S = 15.0  # then a dashboard whose terminal is gone ends regardless


def terminal_gone(fd: int = 0) -> bool:
    """True when our terminal hung up (its other side closed: SSH dropped) or
    stdin is closed; Textual's input loop would otherwise spin on EOF."""
    try:
        poller = select.poll()
        poller.register(fd, select.POLLHUP | select.POLLERR | select.POLLNVAL)
        return any(
            ev & (select.POLLHUP | select.POLLERR | select.POLLNVAL) for _, ev in poller.poll(0)
        )
    except (OSError, ValueError):
        return True


class Polled(Message):
    def __init__(self, version: int, alerts: list[dict] | None) -> None:
        super().__init__()
        self.version = version
        self.alerts = alerts


class EvaltopApp(App):
    TITLE = "evaltop"
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses live elsewhere
    MODES = {
        "overview": OverviewScreen,
        "cases": CasesScreen,
        "regressions": RegressionsScreen,
        "spend": SpendScreen,
        "review": ReviewScreen,
        "shadow": ShadowScreen,
    }
    DEFAULT_MODE = "overview"
    BINDINGS = [
        Binding("1", "mode('overview')", "Overview", id="overview"),
        Binding("2", "mode('cases')", "Cases", id="cases"),
        Binding("3", "mode('regressions')", "Regressions", id="regressions"),
        Binding("4", "mode('spend')", "Spend", id="spend"),
        Binding("5", "mode('review')", "Review", id="review"),
        Binding("6", "mode('shadow')", "Shadow", id="shadow", show=False),
        Binding("question_mark", "help", "Help", id="help"),
        Binding("ctrl+r", "refresh_now", "Refresh", show=False, id="refresh"),
        Binding("q", "quit_or_back", "Quit", id="quit"),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True),
    ]

    def __init__(self, cfg: Config, db_path: Path, *, engine=None, readonly: bool = False,
                 bell: bool | None = None, clock: Callable[[], float] | None = None,
                 live: bool = True) -> None:
        super().__init__()
        self.cfg = cfg
        self.db_path = Path(db_path)
        self.engine = engine
        self.readonly = readonly
        self.ring_bell = cfg.tui.bell if bell is None else bell
        set_redaction(cfg.redaction.enabled)  # secrets and PII on screen as they leave the store
        self._clock = clock or time.time
        self.live = live
        self._version: int | None = None
        self._version_conn: sqlite3.Connection | None = None
        self._last_refresh = 0.0
        self._seen_alerts: set | None = None
        self._lost_terminal = False
        self.bells = 0  # how many times the bell rang (tests, status)
        self.cases_from: str | None = None  # the screen a drill-down into Cases came from
        if cfg.tui.keymap:
            self.set_keymap(cfg.tui.keymap)

    # ------------------------------------------------------------ helpers
    def now(self) -> float:
        return self._clock()

    @property
    def role(self) -> str:
        if self.engine is None:
            return "viewer"
        try:
            return "running jobs" if self.engine.is_leader() else "watching"
        except Exception:
            return "engine?"

    @contextmanager
    def reader(self) -> Iterator[sqlite3.Connection]:
        """A read connection for one worker run."""
        conn = database.open_readonly(self.db_path)
        try:
            yield conn
        finally:
            conn.close()

    def data_screens(self) -> list[DataScreen]:
        """Every database-backed screen that exists (modes not yet opened have none)."""
        found = []
        for mode in self.MODES:
            try:
                stack = self.get_screen_stack(mode)
            except KeyError:
                continue
            found += [screen for screen in stack if isinstance(screen, DataScreen)]
        return found

    def open_cases(self, f: CaseFilter, text: str | None = None) -> None:
        """Show the Cases screen with filter ``f`` (from regressions, palette...)."""
        self.call_later(self._open_cases, f, text)

    async def _open_cases(self, f: CaseFilter, text: str | None) -> None:
        if self.current_mode != "cases":
            self.cases_from = self.current_mode  # escape in Cases goes back there
        await self.switch_mode("cases")
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.screen_stack[0].apply_filter(f, text)

    # ------------------------------------------------------------ lifecycle
    handle_signals = False  # run_dashboard sets it: SIGHUP/SIGTERM end the app cleanly

    def on_mount(self) -> None:
        if self.handle_signals:
            loop = asyncio.get_running_loop()
            loop.add_signal_handler(signal.SIGHUP, self._hung_up)
            loop.add_signal_handler(signal.SIGTERM, self.exit)
            self._guard_resume(loop)
        if self.live:
            self.set_timer(self.cfg.tui.refresh_seconds, self._poll)

    def _guard_resume(self, loop: asyncio.AbstractEventLoop) -> None:
        """When the terminal hangs up the kernel sends SIGCONT along with
        SIGHUP, and Textual's SIGCONT handler (there for ctrl+z) would redraw
        the whole screen into a dead terminal: its writer thread dies on EIO
        and shutdown then blocks on the writer's full queue. Resume only while
        the terminal is still there; otherwise treat it as the hangup it is."""
        previous = signal.getsignal(signal.SIGCONT)

        def on_cont(signum, frame) -> None:
            if terminal_gone():
                loop.call_soon_threadsafe(self._terminal_lost)
            elif callable(previous):
                previous(signum, frame)

        signal.signal(signal.SIGCONT, on_cont)

    def _hung_up(self) -> None:
        """SIGHUP: the terminal went away (SSH dropped), or someone sent it
        with ``kill``; only the first needs the dead-terminal path."""
        if terminal_gone():
            self._terminal_lost()
        else:
            self.exit(return_code=0)

    def _terminal_lost(self) -> None:
        """End the app when nobody can see it any more.

        Textual's goodbye (restore the screen, show the cursor) is written to
        /dev/null instead of a terminal that answers EIO, so shutdown cannot
        stall on it; and if shutdown still has not finished after
        ``LOST_TERMINAL_GRACE_S`` a watchdog releases the lease and ends the
        process, because a dashboard nobody sees must never hold the lease.
        """
        if self._lost_terminal:
            return
        self._lost_terminal = True
        try:
            devnull = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(devnull, fd)
            os.close(devnull)
        except OSError:
            pass
        engine = self.engine

        def watchdog() -> None:
            time.sleep(LOST_TERMINAL_GRACE_S)
            if engine is not None:
                engine.stop()
            os._exit(0)

        threading.Thread(target=watchdog, name="evaltop-lost-terminal", daemon=True).start()
        self.exit(return_code=0)

    def _poll(self) -> None:
        self._check(self._seen_alerts is None)

    @work(thread=True, exclusive=True, exit_on_error=False, group="poll")
    def _check(self, first: bool) -> None:
        if self.handle_signals and terminal_gone():
            self.call_from_thread(self._terminal_lost)
            return
        if self._version_conn is None:
            self._version_conn = database.open_readonly(self.db_path)
        version = database.data_version(self._version_conn)
        changed = version != self._version or self.now() - self._last_refresh > FORCE_REFRESH_S
        alerts = None
        if changed or first:
            alerts = dashboard.alerts(self._version_conn, 20)
        self.post_message(Polled(version, alerts))

    @on(Polled)
    def _polled(self, msg: Polled) -> None:
        changed = msg.version != self._version or self.now() - self._last_refresh > FORCE_REFRESH_S
        first = self._version is None
        self._version = msg.version
        if msg.alerts is not None:
            self._new_alerts(msg.alerts)
        if changed and not first:
            self.refresh_data()
        elif first:
            self._last_refresh = self.now()
        if self.live:
            self.set_timer(self.cfg.tui.refresh_seconds, self._poll)

    def poll_now(self) -> None:
        """Check for changes and alerts at once (tests, ctrl+r)."""
        self._check(self._seen_alerts is None)

    def refresh_data(self) -> None:
        self._last_refresh = self.now()
        for screen in self.data_screens():
            screen.db_changed()

    def _new_alerts(self, alerts: list[dict]) -> None:
        ids = {a["id"] for a in alerts}
        if self._seen_alerts is None:
            self._seen_alerts = ids
            return
        fresh = [
            a for a in alerts if a["id"] not in self._seen_alerts and not a.get("acknowledged")
        ]
        self._seen_alerts |= ids
        if not fresh:
            return
        # one short toast however many arrived: stacked toasts hid the table
        # (the overview's alerts pane and header count have them all)
        worst = next((a for a in fresh if a.get("level") == "critical"), fresh[0])
        critical = any(a.get("level") == "critical" for a in fresh)
        message = cell(worst.get("message", ""), 70).plain
        if len(fresh) > 1:
            title = f"{len(fresh)} new alerts (1: overview)"
        else:
            title = cell(f"{worst.get('kind', 'alert')} alert", 40).plain
        self.notify(message, title=title, severity="error" if critical else "warning",
                    timeout=8, markup=False)
        if critical and self.ring_bell:
            self.bell()
            self.bells += 1

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Failures of the app's own workers (the poll); screens forward theirs."""
        if event.state == WorkerState.ERROR:
            self.worker_failed(event.worker)
            if event.worker.group == "poll" and self.live:
                self._version_conn = None
                self.set_timer(self.cfg.tui.refresh_seconds * 5, self._poll)

    def worker_failed(self, worker: Worker) -> None:
        """Show a background failure as a toast (literal text): never silent, never fatal."""
        err = worker.error
        where = getattr(worker.node, "TITLE", None) or worker.group
        self.notify(f"{where}: {type(err).__name__}: {err}", title="background error",
                    severity="error", timeout=8, markup=False)

    def on_unmount(self) -> None:
        if self._version_conn is not None:
            self._version_conn.close()

    # ------------------------------------------------------------ actions
    def action_mode(self, mode: str) -> None:
        self.cases_from = None  # the user went somewhere themselves: no drill-down to undo
        if self.current_mode != mode:
            self.switch_mode(mode)

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        groups = [("Screens (from anywhere)", self.BINDINGS)]
        for title, cls in (("Overview", OverviewScreen), ("Cases", CasesScreen),
                           ("Case detail", CaseDetailScreen), ("Regressions", RegressionsScreen),
                           ("Review", ReviewScreen)):
            groups.append((title, cls.BINDINGS))
        groups.append(("Tables", []))
        groups.append(("Everywhere", []))
        self.push_screen(HelpScreen(groups))

    def action_refresh_now(self) -> None:
        self.refresh_data()

    def action_quit_or_back(self) -> None:
        if len(self.screen_stack) > 1:
            self.pop_screen()
        else:
            self.exit()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for mode, label in (("overview", "Overview"), ("cases", "Cases"),
                            ("regressions", "Regressions"), ("spend", "Spend"),
                            ("review", "Review queue"), ("shadow", "Shadow")):
            yield SystemCommand(f"Go to {label}", f"Show the {label} screen",
                                lambda m=mode: self.action_mode(m))
        yield SystemCommand("Help: keys", "Every key binding, grouped", self.action_help)
        yield SystemCommand("Refresh now", "Reload the visible screen", self.action_refresh_now)
        yield SystemCommand("Failing cases", "Cases: failing verdicts",
                            lambda: self.open_cases(CaseFilter(failing=True), ""))
        yield SystemCommand("All cases", "Cases: every output",
                            lambda: self.open_cases(CaseFilter(failing=False), ""))
        for b in getattr(screen, "BINDINGS", []):
            if isinstance(b, Binding) and b.description:
                yield SystemCommand(f"{screen.TITLE or 'Screen'}: {b.description}", f"key {b.key}",
                                    lambda a=b.action, s=screen: self.call_later(s.run_action, a))


def run_dashboard(cfg: Config, db_path: Path, *, start_engine: bool = True, engine=None,
                  readonly: bool = False) -> int:
    """Run the dashboard until the user quits or the terminal goes away.

    Starts the job engine (leader or watcher) unless one is given or
    ``start_engine`` is False; stops it on exit (releasing the lease) however
    the app ends: quit, SIGHUP, SIGTERM, or a lost terminal.
    """
    db_path = Path(db_path)
    if not readonly:
        database.prepare(db_path)  # create or migrate before any reader opens it
    if engine is None and start_engine:
        # the scheduler and every job's stage load only when this process runs
        # the jobs; a read-only watcher (or a test app) never pays for them
        from evaltop.core.ops.engine import Engine

        engine = Engine(cfg, db_path)
        engine.start()
    app = EvaltopApp(cfg, db_path, engine=engine, readonly=readonly)
    app.handle_signals = True
    try:
        app.run()
    finally:
        if engine is not None:
            engine.stop()
    return app.return_code or 0
