"""What every dashboard screen shares: load data in a thread worker, show it in
a main-thread handler, and do no work while hidden.

A subclass implements ``fetch(conn)`` (runs in a worker thread on its own read
connection; returns a view model) and ``show(data)`` (main thread; updates
widgets). The app calls ``db_changed()`` when the database changed; a hidden
screen only remembers that it is stale and reloads when shown again.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from textual import on, work
from textual.message import Message
from textual.screen import Screen
from textual.worker import Worker, WorkerState, get_current_worker

from evaltop.core.views import cases as dc
from evaltop.tui.widgets.safe_text import prewarm


class Loaded(Message):
    """A worker's result for one screen."""

    def __init__(self, data: Any, token: int) -> None:
        super().__init__()
        self.data = data
        self.token = token


class DataScreen(Screen):
    """A screen whose content comes from the database."""

    refresh_every = 0.0  # at least this many seconds between background reloads (heavy screens)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._stale = True
        self._token = 0
        self._inflight = 0  # loads running; background reloads never overlap one
        self._pending = False
        self._started = -1e9
        self._ended = 0  # token of the newest load shown or failed

    @property
    def settled(self) -> bool:
        """The newest load is on screen (or failed, which is shown too) and
        none is running or queued."""
        return (self._ended == self._token and not self._stale and not self._inflight
                and not self._pending)

    def fetch(self, conn: sqlite3.Connection) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def show(self, data: Any) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def on_screen_resume(self) -> None:
        if self._stale:
            self.reload()

    def db_changed(self) -> None:
        """The database changed: reload if visible (after the load in flight, and
        no sooner than ``refresh_every``), else on resume."""
        self._stale = True
        if not self.is_current:
            return
        wait = self._started + self.refresh_every - time.monotonic()
        if self._inflight or wait > 0:
            if not self._pending:
                self._pending = True
                if wait > 0 and not self._inflight:
                    self.set_timer(wait, self._catch_up)
            return
        self.reload()

    def _catch_up(self) -> None:
        if self._pending and not self._inflight:
            self._pending = False
            if self.is_current:
                self.reload()

    def reload(self) -> None:
        """Load now (user actions and resume: the newest request's result wins)."""
        self._stale = False
        self._token += 1
        self._inflight += 1
        self._started = time.monotonic()
        self._fetch(self._token)

    @work(thread=True, exclusive=True, exit_on_error=False, group="load")
    def _fetch(self, token: int) -> None:
        with self.app.reader() as conn:
            data = self.fetch(conn)
        prewarm(data)  # redaction (when on) here, not on the event loop
        if not get_current_worker().is_cancelled:
            self.post_message(Loaded(data, token))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.app.worker_failed(event.worker)
            if event.worker.group == "load":
                self._ended = self._token
        if event.worker.group == "load" and event.state in (
                WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            self._inflight = max(0, self._inflight - 1)
            if self._pending and not self._inflight:
                wait = self._started + self.refresh_every - time.monotonic()
                if wait > 0:
                    self.set_timer(wait, self._catch_up)
                else:
                    self._catch_up()

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        message.stop()
        if message.token == self._token:
            self.show(message.data)
            self._ended = message.token

    # -- human labels (case detail and review queue)
    def request_label(self, output_id: str, label: str) -> None:
        """Record a pass/fail label off the main thread, then ``labelled()``."""
        if self.app.readonly:
            self.app.notify("read-only dashboard: labels are off", severity="warning")
            return
        self._write_label(output_id, label)

    @work(thread=True, exclusive=True, exit_on_error=False, group="write")
    def _write_label(self, output_id: str, label: str) -> None:
        dc.set_label(self.app.db_path, output_id, label, reviewer="tui")
        self.app.call_from_thread(self.labelled, output_id, label)

    def labelled(self, output_id: str, label: str) -> None:
        self.reload()
