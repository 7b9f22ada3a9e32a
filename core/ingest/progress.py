"""Backfill progress on stderr: a rich bar in a terminal, a plain line per
10% otherwise (logs, CI, a parent process reading the pipe). Only files with
at least :data:`MIN_BYTES` left to read get one; keeping up with a live log
prints nothing."""

from __future__ import annotations

import sys
from typing import TextIO

MIN_BYTES = 4 << 20


class BackfillProgress:
    def __init__(self, enabled: bool | None = None, *, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self.enabled = enabled is not False
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._key: tuple[str, str] | None = None
        self._total = 0
        self._step = -1
        self._bar = None
        self._task = None

    def update(self, source: str, path: str, start: int, done: int, size: int | None) -> None:
        """After a committed batch of ``path``: ``done`` bytes of ``size``."""
        if not self.enabled:
            return
        key = (source, path)
        if key != self._key:
            self.finish()
            self._key = key
            if size is None or size - start < MIN_BYTES:
                return
            self._total = size
            self._begin(f"{source}: {path}", start)
        if self._total:
            self._advance(done)

    def _begin(self, label: str, start: int) -> None:
        self._label = label
        self._step = start * 10 // self._total
        if self.tty:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(
                TextColumn("{task.description}", markup=False), BarColumn(), DownloadColumn(),
                TimeRemainingColumn(), console=Console(file=self.stream), transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task(label, total=self._total, completed=start)

    def _advance(self, done: int) -> None:
        if self._bar is not None:
            self._bar.update(self._task, completed=done)
            return
        step = done * 10 // self._total
        if step > self._step:
            self._step = step
            mb = 1 << 20
            print(
                f"evaltop: backfill {self._label}: {min(step, 10) * 10}% "
                f"({done / mb:.1f}/{self._total / mb:.1f} MB)",
                file=self.stream, flush=True,
            )

    def finish(self) -> None:
        if self._bar is not None:
            self._bar.stop()
        self._bar = self._task = None
        self._key = None
        self._total = 0
